#!/bin/sh
# ringbuf_loss.sh NFSQ CALLS - printf events that the ring buffer could not hold are
# counted and reported: printed lines + reported lost events == events produced.
set -u
nfsq=$1 calls=$2 n=200000
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root" >&2; exit 77; }
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
"$nfsq" -q -c "$calls getppid $n" -e 'tracepoint:syscalls:sys_enter_getppid /pid == cpid/ {
	printf("%s %s %d %d %d %d %d %d\n", comm, probe, pid, tid, cpu, nsecs, elapsed, uid); }' \
	>"$tmp/out" 2>"$tmp/err" || { cat "$tmp/err" >&2; exit 1; }
printed=$(wc -l <"$tmp/out")
lost=$(sed -n 's/^nfsq: \([0-9]*\) events lost: ring buffer full.*/\1/p' "$tmp/err")
lost=${lost:-0}
echo "printed $printed, lost $lost, produced $n"
[ $((printed + lost)) -eq "$n" ] || { echo "FAIL: printed + lost != $n" >&2; cat "$tmp/err" >&2; exit 1; }

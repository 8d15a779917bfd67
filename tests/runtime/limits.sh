#!/bin/bash
# limits.sh NFSQ CALLS - limits that bite are counted and reported, on stderr and in JSON.
#
# One run: a map of --map-size 2 gets 3 keys (1 update dropped), and the command is
# exec'd through a 105-byte path, longer than the 64-byte filename field of
# sched_process_exec (1 string cut); a short path is not counted as cut.
# Exit 77 when not root.
set -u
nfsq=$1 calls=$2
[[ $(id -u) == 0 ]] || { echo "SKIP: loads BPF programs, needs root"; exit 77; }
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
long=$tmp/$(printf 'x%.0s' $(seq 1 90))
ln -s "$calls" "$long"
ln -s "$calls" "$tmp/short"
fails=0
prog='tracepoint:sched:sched_process_exec /pid == cpid/ { @f[filename] = count(); }
tracepoint:syscalls:sys_enter_getppid /pid == cpid/ { @m[nsecs] = count(); }'
"$nfsq" -q -f json --map-size 2 -e "$prog" -c "$long getppid 3" > "$tmp/out" 2> "$tmp/err"
want='{"type":"limits","map_full":{"@m":1},"events_lost":0,"starts_dropped":0,"strings_cut":1,"stacks_lost":0,"events_missed":{}}'
if grep -qxF "$want" "$tmp/out" && grep -q '^nfsq: 1 updates to @m dropped: map full' "$tmp/err" &&
	grep -q '^nfsq: 1 strings cut to the size of their field' "$tmp/err"; then
	echo "PASS a full map and a cut string are reported: $want"
else
	echo "FAIL want $want and the two stderr lines; got:"; cat "$tmp/out" "$tmp/err"; fails=1
fi
"$nfsq" -q -f json -e "$prog" -c "$tmp/short getppid 1" > "$tmp/out" 2> "$tmp/err"
if ! grep -q '"type":"limits"' "$tmp/out" && ! grep -q 'cut' "$tmp/err" && grep -q 'short' "$tmp/out"; then
	echo "PASS nothing reported when no limit bites"
else
	echo "FAIL a run within every limit reported one:"; cat "$tmp/out" "$tmp/err"; fails=1
fi
# --ringbuf sizes the printf buffer: 100000 events through 4 KiB lose more than through
# 64 MiB (which holds them all), and printed + lost is exact either way
pprog='tracepoint:syscalls:sys_enter_getppid /pid == cpid/ { printf("%d %d\n", pid, nsecs); }'
for size in 4k 64m; do
	"$nfsq" -q --ringbuf $size -e "$pprog" -c "$calls getppid 100000" > "$tmp/out" 2> "$tmp/err"
	printed=$(wc -l < "$tmp/out")
	lost=$(sed -n 's/^nfsq: \([0-9]*\) events lost: ring buffer full.*/\1/p' "$tmp/err")
	eval "lost_$size=${lost:-0}"
	((printed + ${lost:-0} == 100000)) && echo "PASS --ringbuf $size: $printed printed + ${lost:-0} lost = 100000" ||
		{ echo "FAIL --ringbuf $size: $printed printed + ${lost:-0} lost != 100000"; cat "$tmp/err"; fails=1; }
done
((lost_4k > lost_64m && lost_64m == 0)) && echo "PASS --ringbuf 4k lost $lost_4k, 64m lost none" ||
	{ echo "FAIL --ringbuf 4k lost $lost_4k, 64m lost $lost_64m (want more with 4k, none with 64m)"; fails=1; }
"$nfsq" --ringbuf 3000 -e 'BEGIN { exit(); }' 2> "$tmp/err"
[[ $? == 2 ]] && grep -q 'takes a power of 2' "$tmp/err" && echo "PASS --ringbuf 3000 refused: $(cat "$tmp/err")" ||
	{ echo "FAIL --ringbuf 3000 not refused: $(cat "$tmp/err")"; fails=1; }
exit $fails

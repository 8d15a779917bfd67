#!/bin/bash
# stop.sh NFSQ CALLS - stopping is prompt whatever the output does, and output that could
# not be written is reported (issue #17, rows 6, 7 and 10):
#   - print(@m) of a 500-key map on every event of a flood, --ringbuf 2m, SIGINT in the
#     middle: exit 0 within 1 s of nfsq's own time (queued print events it had no time
#     for are counted, "queued events not handled"); it took 8 s to 85 s before;
#   - its reader stops reading (a full pipe), then SIGTERM, and again with SIGINT: exit 3
#     within 1 s, "N bytes of output lost: after the stop signal it was not read"; both
#     signals were ignored for good before;
#   - its reader goes away: nfsq stops by itself, exit 3, "Broken pipe (its reader closed
#     it); N bytes of output lost" (it died of SIGPIPE, rc 141, with no word before);
#   - started with SIGINT ignored (the background of a non-interactive shell), SIGINT
#     while it compiles 3000 clauses: it ends within 1 s (the signal was lost before, and
#     nfsq attached and ran until a second one).
# Times are nfsq's own (tests/lib.sh: less its waits for a CPU). Exit 77 when not root.
set -u
nfsq=$1 calls=$2
[[ $(id -u) == 0 ]] || { echo "SKIP: loads BPF programs, needs root"; exit 77; }
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
tmp=$(mktemp -d) || exit 1
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$tmp"' EXIT
fails=0
ok() { echo "PASS $*"; }
bad() { echo "FAIL $*"; fails=$((fails + 1)); }
spin=$tmp/st$$ # the spinner, under a name of its own (other runs trace "calls")
cp "$calls" "$spin"
name=${spin##*/}
flood() { "$spin" spin-getppid 600000 >/dev/null & spinner=$!; }

# a print() flood, SIGINT in the middle of it
"${timed_env[@]}" "$nfsq" -q --ringbuf 2m -e "tracepoint:syscalls:sys_enter_getppid /comm == \"$name\"/ { @m[nsecs % 500] = count(); print(@m); }" >/dev/null 2>"$tmp/err" &
pid=$!
if nfsq_ready $pid; then
	flood
	nap 1
	stop_nfsq $pid INT
	kill $spinner; wait $spinner
	((st == 0 && own_ms <= 1000)) && ok "print() flood: exit $st $took after SIGINT ($(grep -o '[0-9]* queued events not handled' "$tmp/err" || echo 'all queued events handled'))" ||
		bad "print() flood: exit $st $took after SIGINT (want 0, <= 1000 ms): $(cat "$tmp/err")"
else
	bad "print() flood: nfsq did not attach: $(cat "$tmp/err")"; kill -KILL $pid; wait $pid
fi

# a reader that stops reading: the pipe fills, then a signal
for sig in TERM INT; do
	mkfifo "$tmp/fifo"
	exec {rd}<>"$tmp/fifo" # a reader that never reads
	"${timed_env[@]}" "$nfsq" -q -e "tracepoint:syscalls:sys_enter_getppid /comm == \"$name\"/ { printf(\"%d %d\\n\", tid, cpu); }" >"$tmp/fifo" 2>"$tmp/err" &
	pid=$!
	if nfsq_ready $pid; then
		"$spin" spin-getppid 300 >/dev/null # 64 KiB of pipe fill in far less
		stop_nfsq $pid $sig
		((st == 3 && own_ms <= 1000)) && grep -q '^nfsq: [0-9]* bytes of output lost: after the stop signal it was not read' "$tmp/err" &&
			ok "stalled reader: exit $st $took after SIG$sig: $(grep -o '[0-9]* bytes of output lost' "$tmp/err")" ||
			bad "stalled reader: exit $st $took after SIG$sig (want 3, <= 1000 ms, the lost bytes reported): $(cat "$tmp/err")"
	else
		bad "stalled reader: nfsq did not attach: $(cat "$tmp/err")"; kill -KILL $pid; wait $pid
	fi
	exec {rd}<&-
	rm -f "$tmp/fifo"
done

# the reader goes away while events flow
mkfifo "$tmp/fifo"
exec {rd}<>"$tmp/fifo"
# (nfsq and the spinner must not inherit the test's read end: they would keep the pipe open)
"$nfsq" -q -e "tracepoint:syscalls:sys_enter_getppid /comm == \"$name\"/ { printf(\"%d\\n\", tid); } END { printf(\"end\\n\"); }" >"$tmp/fifo" 2>"$tmp/err" {rd}<&- &
pid=$!
if nfsq_ready $pid; then
	"$spin" spin-getppid 600000 >/dev/null {rd}<&- &
	spinner=$!
	head -c 1000 <&$rd >/dev/null # it is writing
	exec {rd}<&-
	until_exit $pid "${EPOCHREALTIME/./}" 0
	kill $spinner; wait $spinner
	((st == 3)) && grep -q '^nfsq: writing the output failed: Broken pipe (its reader closed it); [0-9]* bytes of output lost$' "$tmp/err" &&
		ok "reader gone: exit $st ($(grep -o '[0-9]* bytes of output lost' "$tmp/err")), by itself" ||
		bad "reader gone: exit $st (want 3 and the broken pipe reported): $(cat "$tmp/err")"
else
	bad "reader gone: nfsq did not attach: $(cat "$tmp/err")"; kill -KILL $pid; wait $pid
fi
rm -f "$tmp/fifo"

# SIGINT inherited as ignored, then SIGINT while compiling (3000 clauses: more than a second
# of compiling here; no cache, so it does compile)
python3 -c "print('BEGIN { @a = count(); }\n' * 3000)" >"$tmp/big.nfsq"
(
	trap '' INT
	exec env NFSQ_NO_CACHE=1 "${timed_env[@]:1}" "$nfsq" -q "$tmp/big.nfsq" >/dev/null 2>"$tmp/err"
) &
pid=$!
# until it is nfsq, not the subshell, and nfsq has taken SIGINT back from "ignored" (main's
# first step; before it a SIGINT is discarded by the kernel, as for any program started so:
# under sanitizers on a loaded machine that window lasts long enough to be hit)
for ((i = 0; i < 5000; i++)); do
	read -r c 2>/dev/null </proc/$pid/comm
	ign=$(awk '$1 == "SigIgn:" { print $2 }' /proc/$pid/status 2>/dev/null)
	[[ $c == nfsq && -n $ign ]] && ((!(0x$ign & 2))) && break
	nap 0.002
done
attached=no
for f in /proc/$pid/fdinfo/*; do grep -q '^sigmask:' "$f" 2>/dev/null && attached=yes; done
stop_nfsq $pid INT
if [[ $attached == no ]] && ((own_ms <= 1000)) && ((st == 130 || st == 0)); then
	ok "SIGINT inherited as ignored, sent while compiling: nfsq ended $took (status $st)"
else
	bad "SIGINT inherited as ignored, sent while compiling (attached already: $attached): status $st $took (want <= 1000 ms): $(head -3 "$tmp/err")"
fi

echo "$fails failed"
((fails == 0))

#!/bin/bash
# flood.sh NFSQ CALLS [--selftest] - a probe firing as fast as the machine can make it fire:
# nothing silently lost, the machine stays responsive, nfsq exits within 1 s of SIGINT.
#
# Two spinners (`calls spin-getppid`, one per CPU here) make getppid() calls for FLOOD_MS
# (3000) ms while nfsq traces them system-wide, and `calls lateness 10 N` measures how late
# a sleeping process wakes up meanwhile. The flood is as big as the machine makes it in
# that time (a loaded machine makes a far smaller one than an idle one), so every check is
# on the events produced, none on their rate (issue #14); the rate reached is printed, and
# the goal of 10^6 events a second is a benchmark (bench/flood). For a count() and for a
# printf() per event (the ring buffer overflows when nfsq's reader cannot format lines as
# fast as they come):
#   - count(): @c = the spinners' calls, exactly; printf: lines + reported lost events =
#     the spinners' calls, exactly (nothing dropped without being counted);
#   - the sleeper woke within 100 ms of its deadline 9 times out of 10 (its worst wake-up
#     is printed, not checked: on a shared machine that is the scheduler's, with or
#     without nfsq);
#   - nfsq exits 0 within 1 s of SIGINT, once after the flood and once in the middle of
#     it (new events keep arriving while it detaches and drains the ring buffer), and
#     within 1 s of its -c command ending in the middle of the flood.
# Those seconds are nfsq's own (tests/lib.sh: the wall-clock time less the time nfsq
# waited for a CPU that the machine gave to other processes; the same on an idle machine,
# and the wall-clock time is printed beside it), without LeakSanitizer's scan at exit in
# a sanitized build (the same paths are leak-checked by runtime_sigint, runtime_printf and
# runtime_ringbuf_loss), timed from the moment nfsq is ready (probes attached, signalfd open).
# The spinners run under a name of their own: other runs on this kernel trace "calls".
#
# --selftest: runs the test against injected faults and passes only if it catches each
# one: NFSQ_TEST_DROP_EVENTS (printf events dropped without being counted),
# NFSQ_TEST_SLOW_EVENTS (a reader too slow to follow its -c command's end within 1 s), and a fake nfsq whose
# count() misses every CPU but CPU 0. Exit 77 when not root.
set -u
nfsq=$1 calls=$2 mode=${3:-}
ms=${FLOOD_MS:-3000}
[[ $(id -u) == 0 ]] || { echo "SKIP: loads BPF programs, needs root"; exit 77; }
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
tmp=$(mktemp -d) || exit 1
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$tmp"' EXIT

if [[ $mode == --selftest ]]; then
	# the real nfsq, except that its count() program counts only CPU 0's events
	cat >"$tmp/fake-nfsq" <<-EOF
		#!/bin/bash
		[[ \$* == *'@c = count()'* ]] && exec "$nfsq" "\${@//\/comm == /\/cpu == 0 \&\& comm == }"
		exec "$nfsq" "\$@"
	EOF
	chmod +x "$tmp/fake-nfsq"
	FLOOD_MS=1000 NFSQ_TEST_DROP_EVENTS=50 NFSQ_TEST_SLOW_EVENTS=150 \
		"$0" "$tmp/fake-nfsq" "$calls" >"$tmp/self" 2>&1
	rc=$?
	cat "$tmp/self"
	echo "--- selftest: the run above had faults injected; it must have failed these checks:"
	fails=0
	# (a signal stops even this slow reader in time: queued events get 800 ms, the rest are
	# counted; the -c command's end waits for them all)
	for want in 'count: @c = [0-9]*, the spinners made' 'printf: .* reported lost .* != ' \
		'printf, -c command ending mid-flood: nfsq exited'; do
		if grep -q "^FAIL $want" "$tmp/self"; then
			echo "PASS caught: FAIL $want"
		else
			echo "FAIL not caught: $want"
			fails=$((fails + 1))
		fi
	done
	((rc != 0)) || { echo "FAIL the faulty run exited 0"; fails=$((fails + 1)); }
	echo "$fails failed"
	((fails == 0))
	exit
fi

spin=$tmp/fl$$ # the spinners' name (at most 15 characters: their comm)
cp "$calls" "$spin"
name=${spin##*/}
fails=0
ok() { echo "PASS $*"; }
bad() { echo "FAIL $*"; fails=$((fails + 1)); }
running() { # PID: it has become the spinner (exec'd: its comm is $name)
	local c i
	for ((i = 0; i < 1200; i++)); do
		read -r c 2>/dev/null </proc/"$1"/comm
		[[ $c == "$name" ]] && return 0
		nap 0.05
	done
	return 1
}
declare -A progs=(
	[count]="tracepoint:syscalls:sys_enter_getppid /comm == \"$name\"/ { @c = count(); }"
	[printf]="tracepoint:syscalls:sys_enter_getppid /comm == \"$name\"/ { printf(\"%d %d\\n\", tid, cpu); }"
)
for kind in count printf; do
	"${timed_env[@]}" "$nfsq" -q -e "${progs[$kind]}" >"$tmp/out" 2>"$tmp/err" &
	pid=$!
	nfsq_ready $pid || { bad "$kind: nfsq did not attach: $(cat "$tmp/err")"; kill -KILL $pid; wait $pid; continue; }
	"$calls" lateness 10 $((ms / 10)) >"$tmp/late" &
	late=$!
	"$spin" spin-getppid "$ms" >"$tmp/n1" &
	s1=$!
	"$spin" spin-getppid "$ms" >"$tmp/n2"
	wait $s1 $late
	n=$(($(cat "$tmp/n1") + $(cat "$tmp/n2")))
	stop_nfsq $pid
	((n > 0)) && ok "$kind: the probe fired $n times in $ms ms ($((n * 1000 / ms)) a second; not checked: bench/flood)" ||
		bad "$kind: the spinners made no calls"
	if [[ $kind == count ]]; then
		got=$(sed -n 's/^@c: //p' "$tmp/out")
		[[ $got == "$n" ]] && ok "count: @c = $got = the spinners' calls" || bad "count: @c = ${got:-none}, the spinners made $n calls"
	else
		printed=$(wc -l <"$tmp/out")
		lost=$(sed -n 's/^nfsq: \([0-9]*\) events lost: ring buffer full.*/\1/p' "$tmp/err")
		# (and those still queued when a stop signal's 800 ms ran out: counted too)
		left=$(sed -n 's/^nfsq: \([0-9]*\) queued events not handled.*/\1/p' "$tmp/err")
		((printed + ${lost:-0} + ${left:-0} == n)) && ok "printf: $printed lines + ${lost:-0} reported lost + ${left:-0} reported not handled = $n calls" ||
			bad "printf: $printed lines + ${lost:-0} reported lost + ${left:-0} reported not handled != $n calls ($(cat "$tmp/err"))"
	fi
	read -r worst p90 median <"$tmp/late"
	((p90 <= 100000)) && ok "$kind: a sleeping process woke within 100 ms 9 times out of 10 during the flood (90th percentile $((p90 / 1000)) ms, median $((median / 1000)) ms, worst $((worst / 1000)) ms)" ||
		bad "$kind: a sleeping process woke more than 100 ms late 1 time in 10 or more (90th percentile $((p90 / 1000)) ms, median $((median / 1000)) ms, worst $((worst / 1000)) ms)"
	((st == 0 && own_ms <= 1000)) && ok "$kind: nfsq exited $st after SIGINT in $took" ||
		bad "$kind: nfsq exited $st after SIGINT in $took (want 0, <= 1000 ms)"
done

# SIGINT in the middle of the flood (the spinners run until they are killed)
"${timed_env[@]}" "$nfsq" -q -e "${progs[printf]}" >/dev/null 2>"$tmp/err" &
pid=$!
if nfsq_ready $pid; then
	"$spin" spin-getppid 600000 >/dev/null &
	s1=$!
	"$spin" spin-getppid 600000 >/dev/null &
	s2=$!
	running $s1 && running $s2
	nap "$((ms / 2000)).$((ms / 2 % 1000 / 100))"
	stop_nfsq $pid
	flooding=
	exited $s1 || exited $s2 || flooding=yes
	kill $s1 $s2
	wait $s1 $s2
	((st == 0 && own_ms <= 1000)) && [[ ${flooding:-} ]] &&
		ok "printf, mid-flood: nfsq exited $st after SIGINT in $took ($(grep -o '[0-9]* events lost' "$tmp/err" || echo 'no events lost'))" ||
		bad "printf, mid-flood: nfsq exited $st after SIGINT in $took (want 0, <= 1000 ms; flood still on: ${flooding:-no}): $(cat "$tmp/err")"
else
	bad "mid-flood: nfsq did not attach: $(cat "$tmp/err")"
	kill -KILL $pid
	wait $pid
fi

# the -c command ends in the middle of the flood: nfsq follows it within 1 s (from the
# moment the command woke up, as it wrote down, to nfsq's exit)
"$spin" spin-getppid 600000 >/dev/null &
s1=$!
"$spin" spin-getppid 600000 >/dev/null &
s2=$!
running $s1 && running $s2
"${timed_env[@]}" "$nfsq" -q -e "${progs[printf]}" -c "$calls sleep-ms 500 $tmp/woke" >/dev/null 2>"$tmp/err" &
pid=$!
for ((i = 0; i < 12000; i++)); do # until the command has woken up
	[[ -s $tmp/woke ]] && break
	exited $pid && break
	nap 0.005
done
cpu_wait=0
cpu_wait $pid
woke=$(cat "$tmp/woke" 2>/dev/null)
until_exit $pid "${woke:-0}" "$cpu_wait"
flooding=
exited $s1 || exited $s2 || flooding=yes
kill $s1 $s2
wait $s1 $s2
if [[ -z $woke ]]; then
	bad "printf, -c command ending mid-flood: nfsq exited $st and the command did not run: $(cat "$tmp/err")"
else
	((st == 0 && own_ms <= 1000)) && [[ ${flooding:-} ]] &&
		ok "printf, -c command ending mid-flood: nfsq exited $st after the command ended in $took" ||
		bad "printf, -c command ending mid-flood: nfsq exited $st after the command ended in $took (want 0, <= 1000 ms; flood still on: ${flooding:-no}): $(cat "$tmp/err")"
fi
echo "$fails failed"
((fails == 0))

# shellcheck shell=bash disable=SC2034 # (sets variables for the scripts that source it)
# tests/lib.sh - helpers shared by the test scripts (bash; source it:
# `. "$(dirname "$0")/../lib.sh"`).
#
# Processes and time, for checks that must hold on a loaded machine (issue #14): wait for
# a condition (with a generous cap) instead of sleeping a fixed time, and start no process
# inside a timed window.
#   nap SECONDS          sleep without starting a process (a read that times out)
#   exited PID           PID has exited (a zombie, or already reaped)
#   nfsq_ready PID       waits (60 s at most) until nfsq PID has its signalfd: its probes
#                        are attached and SIGINT / SIGTERM stop it cleanly (until then,
#                        started in the background of a script, it ignores SIGINT)
#   stop_nfsq PID [SIG]  sends SIG (INT), then until_exit
#   until_exit PID T0 W0 waits for PID to exit (SIGKILL after 60 s); sets st (its exit
#                        status), wall_ms (ms since T0, an $EPOCHREALTIME without the
#                        dot), own_ms and took (below)
# own_ms is the time nfsq took of its own: wall_ms less the time it waited for a CPU that
# the machine gave to other processes (the run-queue wait of /proc/PID/schedstat, sampled
# every few ms; W0 is the value at T0, see cpu_wait). On an idle machine the two are the
# same; on a loaded one a 1 s promise is checked on own_ms and the wall-clock time is
# printed beside it. `took` says both: "N ms of its own (M ms on the clock)".
#   cpu_wait PID         sets cpu_wait to the ns PID (its main thread) has waited for a
#                        CPU so far (left as it was once PID is gone)
#   thread_times PID     prints "TID RUN_NS WAIT_NS" for each thread of PID (schedstat)
#   cpu_ms_between BEFORE AFTER   prints the CPU time (ms) PID's threads used between two
#                        thread_times: what a request to a multi-threaded nfsq (--serve)
#                        cost it, whatever the load (its wall-clock time also has the
#                        client's waits for a CPU in it)
#   timed_env            an env(1) prefix for timed runs of a sanitized nfsq: without
#                        LeakSanitizer's scan at exit (the sanitizer's work, not nfsq's:
#                        hundreds of ms on a busy machine); leaks are checked by the
#                        untimed runs of the same paths

_lib_dir=$(mktemp -d) && mkfifo "$_lib_dir/nap" && exec {_nap_fd}<>"$_lib_dir/nap"
rm -rf "$_lib_dir"
nap() { read -rt "$1" -u "$_nap_fd"; }

exited() {
	local s
	{ read -r s <"/proc/$1/stat"; } 2>/dev/null || return 0
	s=${s##*) }
	[[ ${s:0:1} == Z ]]
}

nfsq_ready() {
	local i f k
	for ((i = 0; i < 1200; i++)); do
		for f in /proc/"$1"/fdinfo/*; do
			while read -r k _; do [[ $k == sigmask: ]] && return 0; done 2>/dev/null <"$f"
		done
		exited "$1" && return 1
		nap 0.05
	done
	return 1
}

cpu_wait() {
	local w
	{ read -r _ w _ <"/proc/$1/schedstat"; } 2>/dev/null && cpu_wait=$w
}

thread_times() {
	local f r w t
	for f in /proc/"$1"/task/*/schedstat; do
		t=${f%/schedstat}
		{ read -r r w _ <"$f"; } 2>/dev/null && echo "${t##*/} $r $w"
	done
}

cpu_ms_between() {
	awk 'NR == FNR { r[$1] = $2; next } { s += $2 - r[$1] } END { printf "%d\n", s / 1000000 }' \
		<(echo "$1") <(echo "$2")
}

until_exit() {
	local i t1
	for ((i = 0; i < 12000; i++)); do
		cpu_wait "$1"
		exited "$1" && break
		nap 0.005
	done
	t1=${EPOCHREALTIME/./}
	exited "$1" || kill -KILL "$1"
	wait "$1"
	st=$?
	wall_ms=$(((t1 - $2) / 1000))
	own_ms=$((wall_ms - (cpu_wait - $3) / 1000000))
	took="$own_ms ms of its own ($wall_ms ms on the clock)"
}

stop_nfsq() {
	local t0
	cpu_wait=0
	cpu_wait "$1"
	t0=${EPOCHREALTIME/./}
	kill -s "${2:-INT}" "$1"
	until_exit "$1" "$t0" "$cpu_wait"
}

timed_env=(env "ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0")

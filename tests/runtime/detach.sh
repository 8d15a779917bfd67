#!/bin/bash
# detach.sh NFSQ CALLS - nothing of nfsq stays in the kernel after it ends, however it ends.
#
# For each way of ending (SIGINT, SIGTERM, SIGKILL of nfsq; its -c command crashing;
# exit() in the script), nfsq runs a probe on sys_enter_getppid; the BPF programs, maps
# and links it holds are read from /proc/PID/fdinfo once it is ready (probes attached,
# signalfd open), and after it is gone every one of them must have left the kernel
# (bpftool ... show id N fails) within 5 s. nfsq must also exit within 1 s of SIGINT /
# SIGTERM: 1 s of its own time (tests/lib.sh: the wall-clock time less the time it waited
# for a CPU that the machine gave to other processes), without LeakSanitizer's scan at exit
# in a sanitized build (runtime_sigint leak-checks that path). The crashing -c command and
# the helper calling exit() wait for the test's go (a file), not for a fixed time, so a
# slow machine cannot make them end before the test has looked. Exit 77 when not root.
set -u
nfsq=$1 calls=$2
[[ $(id -u) == 0 ]] || { echo "SKIP: loads BPF programs, needs root"; exit 77; }
command -v bpftool > /dev/null || { echo "SKIP: bpftool is not installed"; exit 77; }
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
fails=0 n=0
prog='tracepoint:syscalls:sys_enter_getppid { @c = count(); }'

held() { # PID: "prog N", "map N", "link N" for every BPF object PID holds
	grep -h -E '^(prog|map|link)_id:' /proc/"$1"/fdinfo/* 2> /dev/null |
		sed -E 's/^([a-z]+)_id:\s*([0-9]+)/\1 \2/' | sort -u
}
gone() { # OBJECTS...: every object has left the kernel within 5 s
	local left deadline=$((${EPOCHREALTIME/./} + 5000000))
	while :; do
		left=$(while read -r kind id; do bpftool "$kind" show id "$id" > /dev/null 2>&1 && echo "$kind $id"; done <<<"$1")
		[[ -z $left ]] && return 0
		((${EPOCHREALTIME/./} < deadline)) || break
		nap 0.05
	done
	echo "    still in the kernel 5 s after nfsq exited: $(tr '\n' ' ' <<<"$left")"
	return 1
}
check() { # NAME OBJECTS
	n=$((n + 1))
	if [[ -z $2 ]]; then
		echo "FAIL $1: nfsq held no BPF objects while running"; fails=$((fails + 1))
	elif gone "$2"; then
		echo "PASS $1: $(wc -l <<<"$2") BPF objects (programs, maps, links) all gone"
	else
		echo "FAIL $1"; fails=$((fails + 1))
	fi
}

for sig in INT TERM KILL; do
	"${timed_env[@]}" "$nfsq" -q -e "$prog" > "$tmp/out" 2>&1 &
	pid=$!
	if ! nfsq_ready $pid; then echo "FAIL SIG$sig: nfsq did not attach"; fails=$((fails + 1)); kill -KILL $pid; wait $pid; continue; fi
	objs=$(held $pid)
	stop_nfsq $pid $sig
	if [[ $sig != KILL ]] && ((own_ms > 1000)); then
		echo "FAIL SIG$sig: nfsq took $took to exit (want <= 1000 ms)"; fails=$((fails + 1))
	fi
	check "SIG$sig (nfsq exited in $took)" "$objs"
done

# the -c command crashes (SIGSEGV) while probes are attached: nfsq ends normally
"$nfsq" -q -e "$prog" -c "sh -c 'while [ ! -e $tmp/go ]; do sleep 0.05; done; kill -SEGV \$\$'" > "$tmp/out" 2>&1 &
pid=$!
nfsq_ready $pid; objs=$(held $pid)
: > "$tmp/go"
wait $pid
check "-c command killed by SIGSEGV (nfsq exit $?)" "$objs"

# exit() from a probe
"$nfsq" -q -e 'tracepoint:syscalls:sys_enter_getppid /pid == cpid/ { @c = count(); exit(); }' \
	-c "$calls wait-getppid $tmp/go2 3" > "$tmp/out" 2>&1 &
pid=$!
nfsq_ready $pid; objs=$(held $pid)
: > "$tmp/go2"
wait $pid
check "exit() in the script (nfsq exit $?, printed '$(tr '\n' ' ' < "$tmp/out")')" "$objs"

# the -c command dies with nfsq, even when nfsq is SIGKILLed (PR_SET_PDEATHSIG), and
# what it started in its process group is killed when nfsq ends
dead() { # PID: it is gone (or a zombie) within 5 s
	for ((i = 0; i < 100; i++)); do
		[[ ! -e /proc/$1 ]] || grep -q '^State:.*Z' /proc/"$1"/status 2> /dev/null && return 0
		sleep 0.05
	done
	return 1
}
"$nfsq" -q -e "$prog" -c "$calls sleep-ms 60000" > "$tmp/out" 2>&1 &
pid=$!
nfsq_ready $pid
child=$(cat /proc/$pid/task/*/children 2> /dev/null | awk '{print $1}')
n=$((n + 1))
if [[ -z $child ]]; then
	echo "FAIL -c command and SIGKILL of nfsq: no child found"; fails=$((fails + 1))
elif [[ $(awk '{print $5}' /proc/"$child"/stat) != "$child" ]]; then
	echo "FAIL -c command and SIGKILL of nfsq: the command is not in its own process group"; fails=$((fails + 1))
	kill -KILL $pid $child
else
	kill -KILL $pid
	if dead "$child"; then
		echo "PASS -c command died with nfsq (SIGKILL)"
	else
		echo "FAIL -c command still runs after nfsq was SIGKILLed"; fails=$((fails + 1)); kill -KILL "$child"
	fi
fi
wait $pid 2> /dev/null
"$nfsq" -q -e "$prog" -c "sh -c '$calls sleep-ms 60000 & echo \$! > $tmp/bg; sleep 0.3'" > "$tmp/out" 2>&1
bg=$(cat "$tmp/bg" 2> /dev/null)
n=$((n + 1))
if [[ -n $bg ]] && dead "$bg"; then
	echo "PASS what the -c command left running in its group was killed when nfsq ended"
else
	echo "FAIL the -c command's background process ${bg:-?} outlived nfsq"; fails=$((fails + 1)); [[ -n $bg ]] && kill -KILL "$bg"
fi

echo "$((n - fails)) of $n passed"
((fails == 0))

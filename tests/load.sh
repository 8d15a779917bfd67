#!/bin/bash
# tests/load.sh N COMMAND [ARGS...] - runs COMMAND with N busy loops beside it: a loaded
# machine, as the tests must survive one (issue #14). Each loop is
# `sh -c 'while :; do :; done'` at the caller's nice (0 from a plain shell or ctest); on
# this machine's 2 CPUs, 8 loops are four per CPU. The loops end with COMMAND however it
# ends: killed when this script exits, and by their parent-death signal when this script
# is itself killed (a ctest timeout, SIGKILL). Exit status: COMMAND's. N = 0 runs COMMAND
# alone; nested inside another load.sh it adds none (NFSQ_TEST_LOAD_RUNNING). Used by
# `NFSQ_TEST_LOAD=N ./dev test` and by the ctest entry host_under_load (label "load"),
# e.g. by hand from a build directory:
#     ../tests/load.sh 8 ctest --output-on-failure -L 'runtime|serve'
set -u
n=${1:-}
[[ $n =~ ^[0-9]+$ && $# -ge 2 ]] || { echo "usage: load.sh N COMMAND [ARGS...]" >&2; exit 2; }
shift
if ((n)) && [[ ${NFSQ_TEST_LOAD_RUNNING:-0} != 0 ]]; then # nested: the load is already there
	echo "load.sh: already beside $NFSQ_TEST_LOAD_RUNNING busy loops; adding none" >&2
	n=0
fi
((n)) && export NFSQ_TEST_LOAD_RUNNING=$n
loops=()
# shellcheck disable=SC2317 # (called by the EXIT trap)
stop_loops() { ((${#loops[@]})) && kill -KILL "${loops[@]}" 2>/dev/null; loops=(); }
trap stop_loops EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP
for ((i = 0; i < n; i++)); do
	setpriv --pdeathsig KILL -- sh -c 'while :; do :; done' </dev/null >/dev/null 2>&1 &
	loops+=($!)
done
((n)) && echo "load.sh: $n busy loops beside: $*" >&2
t0=$(date +%s%N)
"$@"
rc=$?
((n)) && echo "load.sh: '$*' exited $rc after $((($(date +%s%N) - t0) / 1000000)) ms with $n busy loops" >&2
exit $rc

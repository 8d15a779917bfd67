# lib.sh - shared by the NFS lab suites (sourced): on the host, boot the lab and run the
# suite inside; inside, PASS/FAIL bookkeeping and running nfsq around a workload.
#   source lib.sh "$@"   (after setting `suite` to the script's path)
here=$(cd "$(dirname "$(readlink -f "$suite")")" && pwd)
lab=$here/../lab

if [[ ${NFSQ_LAB:-} != 1 ]]; then
	kernel=()
	if [[ ${1:-} == --kernel ]]; then kernel=(--kernel "$2"); shift 2; fi
	nfsq=$(readlink -f "${1:?usage: $(basename "$suite") [--kernel K] NFSQ}")
	# the lab's own time limit: a suite shares the two CPUs with another in CI (ctest's is 2100 s;
	# 5.10's probe suite, the slowest, took 1377 s in a CI run of 2026-12-02)
	exec "$lab/lab" "${kernel[@]}" --timeout "${NFSQ_LAB_TIMEOUT:-2800}" -- "$(readlink -f "$suite")" "$nfsq"
fi

nfsq=$1
PATH=$lab:$PATH
pass=0 fail=0
out=$(mktemp)
# a check's line ends with the seconds since the one before: where a suite's time goes
t_last=$SECONDS
log() {
	case $1 in
	PASS* | FAIL* | INEXACT*) printf '%s [%ds]\n' "$*" $((SECONDS - t_last)); t_last=$SECONDS ;;
	*) printf '%s\n' "$*" ;;
	esac
}
# A check whose program reads a field this kernel cannot give (nfsq says so before loading:
# "error: field 'F' of P cannot be read on this kernel") passes only when P.F is one of the
# fields the suite expects to be unavailable here ($unavail_expected), with that message.
# 5.10 has no BTF for its modules: these need nfsd's structs or svc_xprt (the client's
# address, the queue time, the client port), which neither vmlinux's BTF nor a
# tracepoint's format gives there.
case $(uname -r) in
5.10.*) unavail_expected="nfsd.request.status nfsd.op.client nfsd.read.client nfsd.write.client nfsd.commit.client nfsd.op.path nfsd.op.export nfsd.read.path nfsd.read.export nfsd.write.path nfsd.write.export nfsd.commit.path nfsd.commit.export nfsd.request.queue nfsd.request.client_port rpc.done.port nfs.lock.file nfs.lock.path nfs.lock.inode nfs.lock.mount nfs.lock.type nfs.lock.start nfs.lock.length nfs.lock.lock_pid nfsd.lock.client nfsd.lock.path nfsd.lock.export nfsd.lock.type nfsd.lock.wait nfsd.lock.start nfsd.lock.length nfsd.callback.status nfs.delegation.type nfs.delegation.file nfs.delegation.path nfs.delegation.mount nfsd.delegation.type nfsd.delegation.client nfsd.delegation.path" ;;
*) unavail_expected= ;;
esac
unavail=
have() { [[ " $unavail_expected " != *" $1 "* ]]; } # have PROBE.FIELD: it is available here
judge_unavail() { # NAME
	if [[ " $unavail_expected " == *" $unavail "* ]]; then
		pass=$((pass + 1)); log "PASS $1: $unavail unavailable on this kernel, as expected: $(grep -m1 -o 'cannot be read.*' "$out")"
	else
		fail=$((fail + 1)); log "FAIL $1: $unavail unavailable on this kernel"; sed 's/^/    | /' "$out" | head -10
	fi
}
ok() { if [[ -n $unavail ]]; then judge_unavail "$1"; return; fi; pass=$((pass + 1)); log "PASS $1"; }
# An exact check that failed in a run where nfsq reported events the kernel skipped ("N P
# events missed": a preemptible kernel, 7.3's lazy preemption, let a second thread into a
# running program, and the kernel skips rather than nests) is INEXACT, not FAIL: nothing
# was lost silently. probes.sh checks that seen + missed is the truth under contention.
inexact=0
bad() {
	if [[ -n $unavail ]]; then judge_unavail "$1"; return; fi
	if grep -q '^nfsq: [0-9]* [^ ]* events missed: the kernel skipped' "$out"; then
		inexact=$((inexact + 1)); log "INEXACT $1: $2; $(grep -o '^nfsq: [0-9]* [^ ]* events missed' "$out" | cut -c7- | paste -sd, -) (reported by nfsq)"
		return
	fi
	fail=$((fail + 1)); log "FAIL $1: $2"; sed 's/^/    | /' "$out" | head -40
}
# run PROGRAM CMD: nfsq -e PROGRAM -c CMD, its output in $out
run() {
	timeout -k 5 120 "$nfsq" -q -e "$1" -c "$2" > "$out" 2>&1 || echo "(nfsq exited $?)" >> "$out"
	unavail=$(sed -n "s/.*error: field '\([a-z_]*\)' of \([a-z0-9_.]*\) cannot be read on this kernel.*/\2.\1/p" "$out" | head -1)
}
# value PREFIX: the number after "PREFIX: " in $out
value() { grep -F -- "$1: " "$out" | head -1 | sed 's/.*: //'; }
# finish: the summary line and the exit status
finish() {
	log "$pass passed, $fail failed$( ((inexact == 0)) || echo ", $inexact inexact (events the kernel skipped, reported)")"
	rm -f "$out"; ((fail == 0))
}
log "kernel $(uname -r)"

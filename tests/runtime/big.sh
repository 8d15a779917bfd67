#!/bin/bash
# big.sh NFSQ - a script of many clauses compiles, loads and runs in bounded memory (issue
# #17, row 3): 10^4 BEGIN clauses, compiled (no cache), loaded and run, in under 400 MB
# (they took 1.4 GB: a 256 KiB verifier log buffer per program), with exact output. The
# times are printed, not checked: loading is linear now (a by-name program look-up per
# program made it O(n^2)), but compiling is not: LLVM's BTF string table (16 and older)
# is searched linearly for each function's name, about 16x the time for 10x the clauses
# here; fusing clauses into fewer programs is the lean-programs issue's (#18).
set -u
nfsq=$1
[[ $(id -u) == 0 ]] || { echo "SKIP: loads BPF programs, needs root"; exit 77; }
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
for n in 1000 10000; do
	python3 -c "import sys; n = int(sys.argv[1]); print('BEGIN { @a = count(); }\n' * n + 'BEGIN { exit(); }')" $n >"$tmp/b$n.nfsq"
	t0=$(date +%s%N)
	kb=$(NFSQ_NO_CACHE=1 /usr/bin/time -f %M "$nfsq" -q "$tmp/b$n.nfsq" 2>&1 >"$tmp/out$n" | tail -1)
	rc=$?
	eval "t$n=$(($(date +%s%N) - t0)) kb$n=$kb rc$n=$rc"
	echo "$n BEGIN clauses: exit $rc, $((($(date +%s%N) - t0) / 1000000)) ms, $((kb / 1024)) MB, output: $(tr '\n' ' ' <"$tmp/out$n")"
done
if ((rc1000 == 0 && rc10000 == 0)) && grep -qx '@a: 10000' "$tmp/out10000" && ((kb10000 < 400 * 1024)); then
	echo "PASS 10^4 BEGIN clauses: $((kb10000 / 1024)) MB, @a: 10000 ($((t10000 / 1000000)) ms, $((t10000 / t1000))x the time of 10^3: not checked)"
else
	echo "FAIL 10^4 BEGIN clauses: exit $rc10000, $((kb10000 / 1024)) MB (want < 400), and @a: 10000"
	exit 1
fi

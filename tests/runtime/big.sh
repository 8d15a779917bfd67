#!/bin/bash
# big.sh NFSQ - a script of many clauses compiles, loads and runs in memory that grows with
# it, not faster (issue #17, row 3): 10^4 BEGIN clauses, compiled (no cache), loaded and run
# with exact output, at a peak RSS under 4 times that of 10^3 clauses (it was 9 times: a
# 256 KiB verifier log buffer per program, 1.4 GB for 10^4 clauses). A ratio against the same
# build's smaller run, so that it holds in a sanitized build too. The time ratio is printed,
# not checked (a sanitized build on a busy machine): 8.8x here with BEGIN clauses fused 64 to
# a program, 16.5x before (LLVM's BTF emission is quadratic in functions).
set -u
nfsq=$1
[[ $(id -u) == 0 ]] || { echo "SKIP: loads BPF programs, needs root"; exit 77; }
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
for n in 1000 10000; do
	python3 -c "import sys; n = int(sys.argv[1]); print('BEGIN { @a = count(); }\n' * n + 'BEGIN { exit(); }')" $n >"$tmp/b$n.nfsq"
	t0=$(date +%s%N)
	# (a sanitized build: without the sanitizer's quarantine of freed memory, which is its own)
	kb=$(NFSQ_NO_CACHE=1 ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=1 /usr/bin/time -f %M "$nfsq" -q "$tmp/b$n.nfsq" 2>&1 >"$tmp/out$n" | tail -1)
	rc=$?
	eval "t$n=$(($(date +%s%N) - t0)) kb$n=$kb rc$n=$rc"
	echo "$n BEGIN clauses: exit $rc, $((($(date +%s%N) - t0) / 1000000)) ms, $((kb / 1024)) MB, output: $(tr '\n' ' ' <"$tmp/out$n")"
done
if ((rc1000 == 0 && rc10000 == 0)) && grep -qx '@a: 10000' "$tmp/out10000" && ((kb10000 < 4 * kb1000)); then
	echo "PASS 10^4 BEGIN clauses: $((kb10000 / 1024)) MB, $((kb10000 * 10 / kb1000))/10 x the peak RSS of 10^3, $((t10000 / 1000000)) ms = $((t10000 * 10 / t1000))/10 x its time (not checked); @a: 10000"
else
	echo "FAIL 10^4 BEGIN clauses: exit $rc10000, $((kb10000 / 1024)) MB, 10^3: $((kb1000 / 1024)) MB (want under 4x), and @a: 10000"
	exit 1
fi

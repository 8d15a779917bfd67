#!/bin/bash
# big.sh NFSQ - a script of many clauses compiles, loads and runs in memory that does not
# grow with each clause's program (issue #17, row 3): 3000 BEGIN clauses, compiled (no
# cache), loaded and run with exact output, at a peak RSS under 4 times that of 300 clauses
# (it was 9 times: a 256 KiB verifier log buffer per program, 1.4 GB for 10^4 clauses; now
# 133 MB, release build). A ratio against the same build's smaller run, so that it holds in
# a sanitized build too. The times are printed, not checked: loading is linear now (a
# by-name program look-up per program made it O(n^2)), but compiling is not: LLVM's BTF
# string table (16 and older) is searched linearly for each function's name, about 16x
# the time for 10x the clauses; fusing clauses into fewer programs is issue #18's.
set -u
nfsq=$1
[[ $(id -u) == 0 ]] || { echo "SKIP: loads BPF programs, needs root"; exit 77; }
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
for n in 300 3000; do
	python3 -c "import sys; n = int(sys.argv[1]); print('BEGIN { @a = count(); }\n' * n + 'BEGIN { exit(); }')" $n >"$tmp/b$n.nfsq"
	t0=$(date +%s%N)
	# (a sanitized build: without the sanitizer's quarantine of freed memory, which is its own)
	kb=$(NFSQ_NO_CACHE=1 ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=1 /usr/bin/time -f %M "$nfsq" -q "$tmp/b$n.nfsq" 2>&1 >"$tmp/out$n" | tail -1)
	rc=$?
	eval "t$n=$(($(date +%s%N) - t0)) kb$n=$kb rc$n=$rc"
	echo "$n BEGIN clauses: exit $rc, $((($(date +%s%N) - t0) / 1000000)) ms, $((kb / 1024)) MB, output: $(tr '\n' ' ' <"$tmp/out$n")"
done
if ((rc300 == 0 && rc3000 == 0)) && grep -qx '@a: 3000' "$tmp/out3000" && ((kb3000 < 4 * kb300)); then
	echo "PASS 3000 BEGIN clauses: $((kb3000 / 1024)) MB, $((kb3000 * 10 / kb300))/10 x the peak RSS of 300; @a: 3000 ($((t3000 / 1000000)) ms, $((t3000 / t300))x the time of 300: not checked)"
else
	echo "FAIL 3000 BEGIN clauses: exit $rc3000, $((kb3000 / 1024)) MB, 300: $((kb300 / 1024)) MB (want under 4x), and @a: 3000"
	exit 1
fi

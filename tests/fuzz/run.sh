#!/bin/bash
# run.sh SECONDS [BUILD_DIR] - the fuzz targets (tests/fuzz) for SECONDS each.
#
# Builds nfsq's libFuzzer targets with clang in a build dir of their own (default:
# /tmp/nfsq-fuzz-build; ASan + UBSan + libFuzzer), seeds a fresh corpus with every
# script of the repository (tests/golden, tests/runtime/cases, scripts) and runs
#   nfsq_fuzz_front    lexer, parser and semantic passes
#   nfsq_fuzz_compile  the whole compile down to a BPF object (never loaded)
# each for SECONDS. A crash, leak, timeout or sanitizer report fails the run; the input
# is kept as BUILD_DIR/artifacts/TARGET-crash-* for tests/fuzz/README.md's triage.
# Exit: 0 clean, 1 a finding, 77 no clang here.
set -u
secs=${1:?usage: run.sh SECONDS [BUILD_DIR]}
top=$(cd "$(dirname "$(readlink -f "$0")")/../.." && pwd)
bdir=${2:-/tmp/nfsq-fuzz-build}
command -v clang > /dev/null || { echo "SKIP: clang is not installed (./dev setup installs it)"; exit 77; }
if ! { CC=clang CXX=clang++ cmake -S "$top" -B "$bdir" -DNFSQ_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo > "$bdir.log" 2>&1 &&
	cmake --build "$bdir" -j2 --target nfsq_fuzz_front nfsq_fuzz_compile >> "$bdir.log" 2>&1; }; then
	tail -30 "$bdir.log"; echo "FAIL: the fuzz targets do not build (log: $bdir.log)"; exit 1
fi
work=$(mktemp -d) || exit 1
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/seed" "$bdir/artifacts"
for f in "$top"/tests/golden/*.nfsq "$top"/tests/runtime/cases/*.nfsq "$top"/scripts/*.nfsq; do
	cp "$f" "$work/seed/$(basename "$(dirname "$f")")_$(basename "$f")"
done
rc=0
for t in front compile; do
	mkdir -p "$work/$t"
	ASAN_OPTIONS=detect_leaks=1 "$bdir/tests/fuzz/nfsq_fuzz_$t" -max_total_time="$secs" -max_len=4096 \
		-timeout=10 -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$bdir/artifacts/$t-" \
		"$work/$t" "$work/seed" > "$work/$t.log" 2>&1
	r=$?
	runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$work/$t.log" | grep -o '[0-9]*$')
	cov=$(grep -o 'cov: [0-9]*' "$work/$t.log" | tail -1)
	if ((r == 0)); then
		echo "PASS nfsq_fuzz_$t: ${runs:-?} inputs in ${secs}s, $cov, no finding"
	else
		echo "FAIL nfsq_fuzz_$t (exit $r):"; grep -E 'ERROR|SUMMARY|Test unit written' "$work/$t.log" | head -10
		rc=1
	fi
done
exit $rc

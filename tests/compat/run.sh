#!/bin/bash
# run.sh NFSQ CALLS CASE.bt [--update]
# One bpftrace program run by bpftrace and by nfsq on this host, their outputs compared
# (issue #21: bpftrace's programs run unchanged in nfsq and print what bpftrace prints).
# Header lines of CASE.bt (at the top):
#   // args: ARGS          positional arguments, after the program
#   // cmd: CMD            run with -c CMD (@CALLS@: tests/runtime's calls helper)
#   // newer: WHY          bpftrace 0.17 (Debian's) lacks the feature: nfsq's output is
#                          compared with CASE.out, written from bpftrace's documentation
# Compared after removing "Attaching N probes..." lines, empty lines and trailing blanks
# (nfsq does not print bpftrace's empty lines around the maps: docs/LANGUAGE.md,
# "Coming from bpftrace"). Exit 77 (skip) when not root or without bpftrace.
set -u
nfsq=$1 calls=$2 case=$3 update=${4:-}
if [ "$(id -u)" != 0 ]; then echo "SKIP: $case: needs root (BPF)" >&2; exit 77; fi
args=$(sed -n 's,^// args: ,,p' "$case" | head -1)
cmd=$(sed -n 's,^// cmd: ,,p' "$case" | head -1 | sed "s,@CALLS@,$calls,g")
newer=$(sed -n 's,^// newer: ,,p' "$case" | head -1)
prog=$(grep -v '^//' "$case")
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
norm() { grep -v '^Attaching [0-9]* probes\{0,1\}\.\.\.$' | sed 's/[[:space:]]*$//' | grep -v '^$'; }
run() { # TOOL -> its normalised stdout; its exit code
	local c=()
	[ -z "$cmd" ] || c=(-c "$cmd")
	# shellcheck disable=SC2086 # ARGS are words
	timeout 180 "$1" -q "${c[@]}" -e "$prog" $args >"$tmp/raw" 2>"$tmp/err"
	local rc=$?
	((rc == 124)) && echo "(timed out after 180 s: bpftrace starts slowly in a loaded TCG VM)" >>"$tmp/err"
	norm <"$tmp/raw"
	return $rc
}
run "$nfsq" >"$tmp/nfsq"
rc=$?
if [ $rc != 0 ]; then
	echo "FAIL: nfsq exited $rc"; cat "$tmp/err"; exit 1
fi
if [ ! -s "$tmp/nfsq" ]; then # (two empty outputs would agree: a case must print something)
	echo "FAIL: nfsq printed nothing"; cat "$tmp/err"; exit 1
fi
if [ -n "$newer" ]; then
	want=${case%.bt}.out
	if [ "$update" = --update ]; then cp "$tmp/nfsq" "$want"; exit 0; fi
else
	command -v bpftrace >/dev/null || { echo "SKIP: no bpftrace" >&2; exit 77; }
	want=$tmp/bpftrace
	if ! run bpftrace >"$want"; then
		echo "FAIL: bpftrace failed on the case itself"; cat "$tmp/err"; exit 1
	fi
fi
if ! diff -u --label bpftrace --label nfsq "$want" "$tmp/nfsq"; then
	exit 1
fi

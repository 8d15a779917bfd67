#!/bin/bash
# run.sh NFSQ CASE.nfsq      compare nfsq's output on CASE with CASE.expected
# run.sh --update [NFSQ]     rewrite every .expected from the current nfsq
#
# A case's first line may be "// nfsq: OPTIONS [-- ARGS]": nfsq runs as
# `nfsq OPTIONS CASE.nfsq ARGS` (default OPTIONS: -d ast).
set -u
here=$(cd "$(dirname "$0")" && pwd)

run_case() { # nfsq case -> output on stdout
	local nfsq=$1 case=$2 opts="-d ast" args="" first
	first=$(head -n1 "$case")
	if [[ $first == "// nfsq: "* ]]; then
		opts=${first#// nfsq: }
		if [[ $opts == *" -- "* ]]; then args=${opts#* -- }; opts=${opts%% -- *}; fi
	fi
	# cases run from their folder so file names in messages are short
	(cd "$(dirname "$case")" && eval "\"$nfsq\" $opts \"$(basename "$case")\" $args" 2>&1; echo "exit: $?")
}

if [[ ${1:-} == --update ]]; then
	nfsq=${2:-$here/../../build/nfsq}
	for c in "$here"/*.nfsq; do run_case "$nfsq" "$c" > "${c%.nfsq}.expected"; done
	exit 0
fi
nfsq=$1 case=$2
expected=${case%.nfsq}.expected
if [[ ! -f $expected ]]; then echo "missing $expected (run: $0 --update)"; exit 1; fi
diff -u "$expected" <(run_case "$nfsq" "$case")

#!/bin/bash
# run.sh NFSQ CASE.nfsq      compare nfsq's output on CASE with CASE.expected
# run.sh --update [NFSQ]     rewrite every .expected from the current nfsq
set -u
here=$(cd "$(dirname "$0")" && pwd)

run_case() { # nfsq case -> output on stdout
	local nfsq=$1 case=$2 opts="-d ast"
	local first
	first=$(head -n1 "$case")
	if [[ $first == "// nfsq: "* ]]; then opts=${first#// nfsq: }; fi
	# cases are run from their folder so file names in messages are short
	(cd "$(dirname "$case")" && eval "\"$nfsq\" $opts \"$(basename "$case")\"" 2>&1; echo "exit: $?")
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

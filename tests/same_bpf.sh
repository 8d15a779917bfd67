#!/bin/bash
# same_bpf.sh OLD_NFSQ NEW_NFSQ [--lab KERNEL]
#
# For refactors of the compiler: proves that two nfsq builds emit the same BPF. Runs
# `nfsq -d bpf` with both binaries on every program of the test suites (tests/golden,
# tests/runtime/cases, tests/serve) and compares the output and exit status byte for
# byte. With --lab, it also boots the NFS lab (tests/lab/lab) on KERNEL and compares,
# inside it, every saved script (scripts/*.nfsq) and one program per built-in probe that
# reads every field (`PROBE { @F[F] = count(); ... }`, fields from `nfsq -lv`), where the
# NFS modules are loaded and the probes resolve (about 10 minutes under TCG).
#
# Prints one line per program that differs (and a diff), then "N programs, M differ";
# exit 0 when none differs, 1 otherwise, 2 on usage errors. Golden LLVM IR is not
# kept on purpose: the comparison is between two builds of the same LLVM, in one run.
set -u
here=$(cd "$(dirname "$0")" && pwd)
[[ $# -ge 2 ]] || { sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
old=$(readlink -f "$1") new=$(readlink -f "$2") kernel= guest=
[[ ${3:-} == --lab ]] && kernel=${4:?--lab needs a kernel, e.g. 6.1}
[[ ${3:-} == --lab-guest ]] && guest=1 # (inside the lab VM: only the NFS part)
[[ -x $old && -x $new ]] || { echo "same_bpf: $1 and $2 must be nfsq binaries" >&2; exit 2; }
export NFSQ_NO_CACHE=1

# one NAME PROGRAM-FILE OPTIONS...: compares both builds on one program
n=0 ndiff=0
one() {
	local name=$1 file=$2 a b
	shift 2
	n=$((n + 1))
	a=$(cd "$(dirname "$file")" && "$old" -d bpf "$@" 2>&1; echo "exit: $?")
	b=$(cd "$(dirname "$file")" && "$new" -d bpf "$@" 2>&1; echo "exit: $?")
	[[ $a == "$b" ]] && return
	ndiff=$((ndiff + 1))
	echo "DIFFERS: $name"
	diff <(echo "$a") <(echo "$b") | head -20
}

# a golden case's options line: "// nfsq: OPTIONS [-- ARGS]" (-d and --check dropped)
golden() {
	local c=$1 first opts="" args=""
	first=$(head -n1 "$c")
	if [[ $first == "// nfsq: "* ]]; then
		opts=${first#// nfsq: }
		if [[ $opts == *" -- "* ]]; then args=${opts#* -- }; opts=${opts%% -- *}; fi
		opts=$(sed -e 's/-d [a-z]*//g' -e 's/--check//g' <<<"$opts")
	fi
	eval "one \"golden/\$(basename \"\$c\")\" \"\$c\" $opts \"\$(basename \"\$c\")\" $args"
}
# a runtime case's "// args:" line, with its placeholders made harmless
runtime_case() {
	local c=$1 args
	args=$(sed -n 's,^// args: ,,p' "$c" | head -1)
	args=$(sed -e 's,@CALLS@,true,g' -e 's,@OUT@,/dev/null,g' -e 's,@PID@,1,g' <<<"$args")
	eval "one \"runtime/\$(basename \"\$c\")\" \"\$c\" $args \"\$(basename \"\$c\")\""
}

if [[ -z $guest ]]; then
	for c in "$here"/golden/*.nfsq; do golden "$c"; done
	for c in "$here"/runtime/cases/*.nfsq; do runtime_case "$c"; done
	for c in "$here"/serve/*.nfsq; do one "serve/$(basename "$c")" "$c" "$(basename "$c")"; done
fi
if [[ -n $kernel ]]; then
	# the same script again inside the lab, where the NFS probes resolve
	out=$("$here/lab/lab" --kernel "$kernel" --timeout 3000 -- "$here/same_bpf.sh" "$old" "$new" --lab-guest)
	st=$?
	echo "$out" | grep -v '^[0-9]* programs'
	labn=$(sed -n 's/^\([0-9]*\) programs, \([0-9]*\) differ$/\1 \2/p' <<<"$out")
	[[ $st -le 1 && -n $labn ]] || { echo "same_bpf: the lab run failed (exit $st)"; exit 1; }
	n=$((n + ${labn% *})) ndiff=$((ndiff + ${labn#* }))
elif [[ -n $guest ]]; then
	for s in "$here"/../scripts/*.nfsq; do # with a 0 for the scripts that take $1
		one "scripts/$(basename "$s")" "$s" "$(basename "$s")" $(grep -q '\$1' "$s" && echo 0)
	done
	tmp=$(mktemp -d)
	probe= prog=
	while read -r line; do # one program per probe, reading every field (a map each)
		if [[ $line =~ ^([a-z]+\.[a-z_]+)\  ]]; then
			[[ -n $prog ]] && { echo "$probe { $prog }" >"$tmp/p.nfsq"; one "$probe" "$tmp/p.nfsq" p.nfsq; }
			probe=${BASH_REMATCH[1]} prog=
			continue
		fi
		[[ -n $probe && $line =~ ^([a-z_]+)\ +(int|string\[[0-9]+\]|errno|nfsstat)\  ]] || continue
		prog+="@${BASH_REMATCH[1]}[${BASH_REMATCH[1]}] = count(); "
	done < <("$new" -lv)
	[[ -n $prog ]] && { echo "$probe { $prog }" >"$tmp/p.nfsq"; one "$probe" "$tmp/p.nfsq" p.nfsq; }
	rm -rf "$tmp"
fi
echo "$n programs, $ndiff differ"
((ndiff == 0))

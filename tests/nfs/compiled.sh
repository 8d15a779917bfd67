#!/bin/bash
# compiled.sh NFSQ - compiled programs (nfsq --compile) run by nfsq-run in the NFS lab.
#
# Boot 1, kernel 6.1: every saved script and an exact one-liner are compiled there, the
# files kept (--out). Then in that boot and in one of each other lab kernel (6.12, 7.3,
# 5.10), each file runs through nfsq-run (beside NFSQ: build/nfsq-run) around a write
# workload (10 x 64 KiB, fsync'd, on NFSv4.2), and its output is compared with nfsq's own
# run of the script there around the same workload: the one-liner's counts byte for byte;
# for every script, a clean exit and the same map names and keys (or printf columns)
# seen; nfsdist's and nfsslower's counts of the 10 writes exactly. Where nfsq itself
# cannot run a script on a kernel (5.10: a field it cannot read without module BTF), the
# file must be refused before loading, naming the same field. The files whose probes are
# read by other code on a kernel (another kind of attach point, a recipe of another
# structure: `moved` below, as measured) must be refused before loading there, naming the
# probe and what differs; any other refusal fails.
# NFSQ_COMPILED_KERNELS: the other kernels (default "6.12 7.3 5.10").
# Exit: 0 all passed, 1 a check failed, 77 the lab cannot run here.
set -u
here=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)
top=$(cd "$here/../.." && pwd)
lab=$top/tests/lab

if [[ ${NFSQ_LAB:-} != 1 ]]; then
	nfsq=$(readlink -f "${1:?usage: compiled.sh NFSQ}")
	files=$(mktemp -d) || exit 1
	trap 'rm -rf "$files"' EXIT
	chmod 755 "$files"
	rc=0
	"$lab/lab" --kernel 6.1 --out "$files" --timeout 1800 -- "$here/compiled.sh" compile "$nfsq"
	lrc=$?
	((lrc == 77)) && exit 77
	((lrc != 0)) && rc=1
	for k in ${NFSQ_COMPILED_KERNELS-6.12 7.3 5.10}; do
		"$lab/lab" --kernel "$k" --timeout 1200 -- "$here/compiled.sh" check "$nfsq" "$files"
		lrc=$?
		((lrc == 77)) && exit 77
		((lrc != 0)) && rc=1
	done
	exit $rc
fi

# ------------------------------------------------------------------ inside the VM
phase=$1 nfsq=$2
run=$(dirname "$nfsq")/nfsq-run
PATH=$lab:$PATH
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "PASS $1"; }
bad() { fail=$((fail + 1)); echo "FAIL $1: $2"; }
# the scripts, with their default arguments but nfsslower's (0: every operation listed)
scripts=()
for s in "$top"/scripts/*.nfsq; do scripts+=("$(basename "$s" .nfsq)"); done
args_of() { [[ $1 == nfsslower ]] && echo 0; }
oneliner='nfs.write { @w[file] = count(); @b = sum(bytes); } rpc.done /op == "WRITE"/ { @rpc[server] = count(); }
nfsd.write { @sw[client] = count(); } nfs.fsync { @fsync[file, error] = count(); }'
echo "kernel $(uname -r) ($(uname -v))"
# what a file compiled on 6.1 cannot run on each kernel: a probe read by other code there
# (5.10: rpc.retransmit, rpc.done and nfsd.request attach to other kinds of events, with
# other guards). (7.3's nfsd.request reads its queue time from the transport, but 6.1's
# stamp program, which the files hold, works there too: nfsq-run takes it; its paths find a
# super_block's mount through a pointer, read as 6.1's list is, with other offsets.)
case $(uname -r) in
5.10.*) moved="exporter nfsdtop nfshealth rpcerrors rpclat" ;;
*) moved="" ;;
esac
# refused NAME OUTPUT RC: a file refused before loading because a probe reads otherwise here
refused() {
	if (($3 == 3)) && grep -q "does not run here: probe [a-z_.]* reads .* by other code on this kernel" <<<"$2" &&
		! grep -q "^Attaching" <<<"$2"; then
		ok "$1: refused before loading: $(grep -o "probe [a-z_.]* reads .* by other code" <<<"$2")"
	else
		bad "$1" "want a refusal naming the probe read otherwise here (exit 3), got exit $3: $(head -5 <<<"$2")"
	fi
}

# ---- compile (boot 1): each script and the one-liner into /lab-out; check: files from $3
if [[ $phase == compile ]]; then
	"$nfsq" --compile -o /lab-out/oneliner.run -e "$oneliner" || bad "compile the one-liner" "exit $?"
	for s in "${scripts[@]}"; do
		# shellcheck disable=SC2046 # the arguments: none or one word
		"$nfsq" --compile -o "/lab-out/$s.run" "$top/scripts/$s.nfsq" $(args_of "$s") ||
			bad "compile $s" "exit $?"
	done
	[[ -x /lab-out/oneliner.run ]] && ok "compiled the one-liner and ${#scripts[@]} scripts ($(du -cb /lab-out/*.run | tail -1 | cut -f1) bytes)"
	dir=/lab-out
else
	dir=$3
fi
(($(ls "$dir"/*.run | wc -l) == ${#scripts[@]} + 1)) || bad "files" "$(ls "$dir" | tr '\n' ' '), want ${#scripts[@]} scripts and the one-liner"

# the one-liner: the same output, byte for byte, for the same workload (on a file of its own)
wl_cmd() { echo "wl write /mnt/nfs4/c$n.dat 10 64k"; }
# (once more when either run reports events the kernel skipped: a program already running
# on that CPU, as on 7.3 when an RPC completes in an interrupt of the probe's own program)
for try in 1 2; do
	n=$((2 * try - 1)); a=$("$run" -q -c "$(wl_cmd)" "$dir/oneliner.run" 2>&1 | sed "s/c$n\.dat/F/"; exit "${PIPESTATUS[0]}")
	arc=$?
	n=$((2 * try)); b=$("$nfsq" -q -c "$(wl_cmd)" -e "$oneliner" 2>&1 | sed "s/c$n\.dat/F/")
	grep -q "events missed" <<<"$a$b" || break
	echo "one-liner: events missed (the kernel skipped a program), once more"
done
field=$(grep -oE "field '[a-z_]+' of [a-z_.]+ cannot be read on this kernel" <<<"$b" | head -1)
if [[ " $moved " == *" oneliner "* ]]; then
	refused one-liner "$a" $arc
elif [[ -n $field ]]; then # (5.10: see the scripts below)
	grep -qF "$field" <<<"$a" && grep -q "does not run here" <<<"$a" && ok "one-liner: refused as nfsq refuses it here: $field" ||
		bad "one-liner" "nfsq refuses it ($field); nfsq-run: $a"
elif [[ $a == "$b" ]] && grep -qx '@b: 655360' <<<"$a" && grep -qx '@w\[F\]: 10' <<<"$a"; then
	ok "one-liner: nfsq-run prints what nfsq prints: $(tr '\n' ' ' <<<"$a")"
else
	bad "one-liner" "nfsq-run: $a; nfsq: $b"
fi

# shape FILE: what a script's output is made of, without its numbers (timings differ from run
# to run): each map's name and keys, and the first word of every other line (a table's row);
# not a report of events the kernel skipped (a program already running on that CPU: 7.3), nor
# the RPCs the client sends on its own clock (an attribute cache's expiry, a lease renewal: on a
# slow machine one run of the two had a GETATTR the other had not, CI of 2026-12-02)
shape() {
	grep -v 'events missed' "$1" | grep -vwE 'GETATTR|SEQUENCE|RENEW' | sed -E 's/c[0-9]+\.dat/F/g; s/[0-9]+(\.[0-9]+)?/N/g' |
		awk '/^@/ {sub(/:.*/, ""); print; next} /^\[|^ *$|^---|^\(/ {next} {print $1}' | sort -u
}
# writes FILE: the nfs.write events in nfsdist's @usecs[nfs.write] buckets
writes() { awk '/^@usecs\[nfs.write\]/ {on = 1; next} /^@/ {on = 0}
	on && match($0, /[])] +[0-9]+/) {s = substr($0, RSTART + 1, RLENGTH - 1); t += s} END {print t + 0}' "$1"; }
n=4
for s in "${scripts[@]}"; do
	n=$((n + 1)); cmd=$(wl_cmd)
	timeout -k 5 300 "$run" -q -c "$cmd" "$dir/$s.run" >/tmp/run.out 2>&1
	rrc=$?
	if [[ " $moved " == *" $s "* ]]; then
		refused "$s" "$(cat /tmp/run.out)" $rrc
		continue
	fi
	n=$((n + 1)); cmd=$(wl_cmd)
	# shellcheck disable=SC2046
	timeout -k 5 300 "$nfsq" -q -c "$cmd" "$top/scripts/$s.nfsq" $(args_of "$s") >/tmp/nfsq.out 2>&1
	nrc=$?
	# a script nfsq cannot run here (a field this kernel cannot give): the file is refused
	# before loading, naming the same field
	field=$(grep -oE "field '[a-z_]+' of [a-z_.]+ cannot be read on this kernel" /tmp/nfsq.out | head -1)
	if ((nrc == 3)) && [[ -n $field ]]; then
		if ((rrc == 3)) && grep -qF "$field" /tmp/run.out && grep -q "does not run here" /tmp/run.out &&
			! grep -q "^Attaching" /tmp/run.out; then
			ok "$s: refused before loading as nfsq refuses it here: $field"
		else
			bad "$s" "nfsq refuses it ($field); nfsq-run exit $rrc: $(head -5 /tmp/run.out)"
		fi
		continue
	fi
	# a script the kernel itself refuses (5.10's verifier: nfsiostat's for loop over a map
	# needs 5.13): nfsq-run fails as nfsq does
	if ((nrc != 0 && rrc == nrc)) && [[ $(head -1 /tmp/run.out) == "$(head -1 /tmp/nfsq.out)" ]]; then
		ok "$s: fails here as nfsq does (exit $nrc): $(head -1 /tmp/nfsq.out | cut -c1-100)"
		continue
	fi
	if ((rrc != 0 || nrc != 0)); then
		bad "$s" "nfsq-run exit $rrc, nfsq exit $nrc: $(head -5 /tmp/run.out)"
	elif ! diff <(shape /tmp/run.out) <(shape /tmp/nfsq.out) >/tmp/shape.diff; then
		bad "$s" "nfsq-run and nfsq print different maps or rows: $(head -20 /tmp/shape.diff)"
	else
		ok "$s: nfsq-run prints the maps and rows nfsq prints ($(wc -l </tmp/run.out) lines)"
	fi
	case $s in
	nfsdist)
		w=$(writes /tmp/run.out) wn=$(writes /tmp/nfsq.out)
		((w == 10 && wn == 10)) && ok "nfsdist: 10 of 10 writes in @usecs[nfs.write] through nfsq-run (and nfsq)" ||
			bad "nfsdist" "$w writes in @usecs[nfs.write] through nfsq-run, $wn through nfsq, want 10: $(cat /tmp/run.out)" ;;
	nfsslower)
		w=$(grep -cE ' W +65536 ' /tmp/run.out)
		((w == 10)) && ok "nfsslower 0: 10 of 10 writes listed through nfsq-run" ||
			bad "nfsslower" "$w W lines through nfsq-run, want 10: $(cat /tmp/run.out)" ;;
	esac
done
echo "compiled: $pass passed, $fail failed"
((fail == 0))

#!/bin/bash
# compiled.sh NFSQ - compiled programs (nfsq --compile) run by nfsq-run in the NFS lab.
#
# Boot 1, kernel 6.1: every saved script and an exact one-liner are compiled there, the
# files kept (--out). Then in that boot and in one of each other lab kernel (6.12, 7.3,
# 5.10), each file runs through nfsq-run (beside NFSQ: build/nfsq-run) and the same program
# through nfsq, both at once around one write workload (10 x 64 KiB, fsync'd, on NFSv4.2),
# so that both see the same events, and their outputs are compared: the one-liner's counts
# byte for byte; for every script, a clean exit and the same map names and keys (or printf
# columns) seen; nfsdist's and nfsslower's counts of the 10 writes exactly. Where nfsq itself
# cannot run a script on a kernel (5.10: a field it cannot read without module BTF), the
# file must be refused before loading, naming the same field; any other refusal fails.
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
	"$lab/lab" --kernel 6.1 --mem 3072 --out "$files" --timeout 1800 -- "$here/compiled.sh" compile "$nfsq"
	lrc=$?
	((lrc == 77)) && exit 77
	((lrc != 0)) && rc=1
	for k in ${NFSQ_COMPILED_KERNELS-6.12 7.3 5.10}; do
		"$lab/lab" --kernel "$k" --mem 3072 --timeout 1200 -- "$here/compiled.sh" check "$nfsq" "$files"
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
# prog NAME: what nfsq runs for NAME (the one-liner or a script), in the array prog
prog() { if [[ $1 == oneliner ]]; then prog=(-e "$oneliner"); else prog=("$top/scripts/$1.nfsq"); fi
	[[ $1 != nfsslower ]] || prog+=(0); }
oneliner='nfs.write { @w[file] = count(); @b = sum(bytes); } rpc.done /op == "WRITE"/ { @rpc[server] = count(); }
nfsd.write { @sw[client] = count(); } nfs.fsync { @fsync[file, error] = count(); }'
echo "kernel $(uname -r) ($(uname -v))"
# (5.10 runs the files' variant made for kernels without module BTF: rpc.retransmit,
# rpc.done and nfsd.request attach to other kinds of events there. 7.3's nfsd.request reads
# its queue time from the transport, but 6.1's stamp program, which the files hold, works
# there too: nfsq-run takes it; its paths find a super_block's mount through a pointer,
# read as 6.1's list is, with other offsets.)

# ---- compile (boot 1): each script and the one-liner into /lab-out, two at a time (the
# VM's two CPUs); check: the files from $3
if [[ $phase == compile ]]; then
	for s in oneliner "${scripts[@]}"; do
		prog "$s"
		"$nfsq" --compile -o "/lab-out/$s.run" "${prog[@]}" >"/tmp/$s.compile" 2>&1 &
		(($(jobs -r | wc -l) >= 2)) && wait -n
	done
	wait
	for s in oneliner "${scripts[@]}"; do
		[[ -x /lab-out/$s.run ]] || bad "compile $s" "$(head -5 "/tmp/$s.compile")"
	done
	((fail == 0)) && ok "compiled the one-liner and ${#scripts[@]} scripts ($(du -cb /lab-out/*.run | tail -1 | cut -f1) bytes, $SECONDS s)"
	dir=/lab-out
else
	dir=$3
fi
(($(ls "$dir"/*.run | wc -l) == ${#scripts[@]} + 1)) || bad "files" "$(ls "$dir" | tr '\n' ' '), want ${#scripts[@]} scripts and the one-liner"

# pair DIR NAME: file NAME.run through nfsq-run and the same program through nfsq, both at once
# around one workload, so that both see the same events: their outputs in DIR/NAME.run and
# DIR/NAME.nfsq, exit codes in DIR/NAME.run.rc and DIR/NAME.nfsq.rc. Each tracer's -c command
# says it is attached (an .up file), then waits; once both are attached or have ended
# (refused), the workload runs, and a second later both stop. (All pairs at once took longer:
# 24 tracers in a 6.1 VM had not all attached after 600 s.)
pair() {
	local d=$1 s=$2 c pids=() end=$((SECONDS + 400))
	mkdir -p "$d"
	c="sh -c 'touch $d/$s.\$0.up; while [ ! -e $d/$s.go ]; do sleep 0.1; done'"
	(timeout -k 5 600 "$run" -q -c "$c run" "$dir/$s.run" >"$d/$s.run" 2>&1; echo $? >"$d/$s.run.rc") &
	pids+=($!)
	prog "$s"
	(timeout -k 5 600 "$nfsq" -q -c "$c nfsq" "${prog[@]}" >"$d/$s.nfsq" 2>&1; echo $? >"$d/$s.nfsq.rc") &
	pids+=($!)
	while ((SECONDS < end)); do
		[[ -e $d/$s.run.up || -e $d/$s.run.rc ]] && [[ -e $d/$s.nfsq.up || -e $d/$s.nfsq.rc ]] && break
		sleep 0.1
	done
	wl write "/mnt/nfs4/$s.dat" 10 64k
	sleep 1
	touch "$d/$s.go"
	wait "${pids[@]}"
}
res=$(mktemp -d) t0=$SECONDS
for s in oneliner "${scripts[@]}"; do pair "$res/all" "$s"; done
echo "ran the one-liner and ${#scripts[@]} scripts through nfsq-run and nfsq in $((SECONDS - t0)) s"

# refusal NAME NFSQ_OUT RUN_OUT RUN_RC: 0 when nfsq refused NAME here, naming a field this
# kernel cannot give (5.10: without module BTF), and then a check that nfsq-run refused the
# file before loading, naming the same field
refusal() {
	local field
	field=$(grep -oE "field '[a-z_]+' of [a-z_.]+ cannot be read on this kernel" "$2" | head -1)
	[[ -n $field ]] || return 1
	if (($4 == 3)) && grep -qF "$field" "$3" && grep -q "does not run here" "$3" && ! grep -q "^Attaching" "$3"; then
		ok "$1: refused before loading as nfsq refuses it here: $field"
	else
		bad "$1" "nfsq refuses it ($field); nfsq-run exit $4: $(head -5 "$3")"
	fi
}

# accounted FILE PROBES: the one-liner's output in FILE, each count map of a probe in PROBES
# (those of which either tracer reported events the kernel skipped: a program already running
# on that CPU, 7.3's lazy preemption letting a second nfsd thread in) summed with the events
# of the probe the kernel skipped, seen + missed; @b, the bytes of nfs.write, not comparable then
accounted() {
	awk -v probes=" $2 " '
	BEGIN { split("@w nfs.write @rpc rpc.done @sw nfsd.write @fsync nfs.fsync @b nfs.write", a, " ")
		for (i = 1; i < 10; i += 2) { of[a[i]] = a[i + 1]; if (index(probes, " " a[i + 1] " ")) hit[a[i]] = 1 } }
	match($0, /^nfsq: [0-9]+ [a-z0-9_.]+ events missed/) { split($0, w, " "); missed[w[3]] += w[2]; next }
	/^@/ { m = $0; sub(/[\[:].*/, "", m); if (m in hit) { n[m] += $NF; next } }
	NF { print }
	END { for (m in hit) if (m == "@b") print "@b: (nfs.write events missed)"; else print m " seen + missed: " n[m] + missed[of[m]] }
	' "$1" | sort
}
# the one-liner: the same output, byte for byte; where either tracer reported events the
# kernel skipped, the same with each skipping probe's events counted as seen + missed
ol=$res/all/oneliner
if ! refusal one-liner "$ol.nfsq" "$ol.run" "$(cat "$ol.run.rc")"; then
	a=$(sed 's/oneliner\.dat/F/' "$ol.run") b=$(sed 's/oneliner\.dat/F/' "$ol.nfsq")
	skipped=$(cat "$ol.run" "$ol.nfsq" | sed -n 's/^nfsq: [0-9]* \([a-z0-9_.]*\) events missed.*/\1/p' | sort -u | tr '\n' ' ')
	if [[ -n $skipped ]]; then
		a=$(accounted <(echo "$a") "$skipped") b=$(accounted <(echo "$b") "$skipped")
		echo "one-liner: the kernel skipped events of $skipped(reported); comparing seen + missed"
	fi
	if [[ $a == "$b" ]] && grep -qx '@b: \(655360\|(nfs.write events missed)\)' <<<"$a" &&
		grep -qx '@w\(\[F\]\| seen + missed\): 10' <<<"$a"; then
		ok "one-liner: nfsq-run prints what nfsq prints: $(tr '\n' ' ' <<<"$a")"
	else
		bad "one-liner" "nfsq-run: $a; nfsq: $b"
	fi
fi

# shape FILE: what a script's output is made of, without its numbers (timings differ from run
# to run): each map's name and keys, and the first word of every other line (a table's row);
# not a report of events the kernel skipped (a program already running on that CPU: 7.3), nor
# the RPCs the client sends on its own clock (an attribute cache's expiry, a lease renewal,
# a delegation given back), which may fall between the two tracers' ends (7.3 in CI: rpclat's
# DELEGRETURN through one of them)
shape() {
	grep -v 'events missed' "$1" | grep -vwE 'GETATTR|SEQUENCE|RENEW|DELEGRETURN' | sed -E 's/[a-z]+\.dat/F/g; s/[0-9]+(\.[0-9]+)?/N/g' |
		awk '/^@/ {sub(/:.*/, ""); print; next} /^\[|^ *$|^---|^\(/ {next} {print $1}' | sort -u
}
# differ RUN NFSQ: whether the two outputs' shapes differ (the diff in /tmp/shape.diff)
differ() { ! diff <(shape "$1") <(shape "$2") >/tmp/shape.diff; }
# writes FILE: the nfs.write events in nfsdist's @usecs[nfs.write] buckets
writes() { awk '/^@usecs\[nfs.write\]/ {on = 1; next} /^@/ {on = 0}
	on && match($0, /[])] +[0-9]+/) {s = substr($0, RSTART + 1, RLENGTH - 1); t += s} END {print t + 0}' "$1"; }
for s in "${scripts[@]}"; do
	r=$res/all/$s.run q=$res/all/$s.nfsq rrc=$(cat "$res/all/$s.run.rc") nrc=$(cat "$res/all/$s.nfsq.rc")
	refusal "$s" "$q" "$r" "$rrc" && continue
	# (once more, alone, when a script that clears its maps at intervals prints other maps
	# or rows through the two: the two tracers' intervals differ, so a top-10 print may list
	# other keys, and an event between a for loop over a map and its clear (nfsiostat) is in
	# neither output; a real difference repeats. print(@m); clear(@m) loses nothing there
	# since it is one read (rpclat's CLOSE was in one output only in CI before that))
	if ((rrc == 0 && nrc == 0)) && grep -q 'clear(' "$top/scripts/$s.nfsq" && differ "$r" "$q"; then
		echo "$s: other maps or rows through the two: $(grep '^[<>]' /tmp/shape.diff | tr '\n' ' '); once more"
		pair "$res/again" "$s"
		r=$res/again/$s.run q=$res/again/$s.nfsq rrc=$(cat "$r.rc") nrc=$(cat "$q.rc")
	fi
	# a script the kernel itself refuses (5.10's verifier: nfsiostat's for loop over a map
	# needs 5.13): nfsq-run fails as nfsq does (an exit code of nfsq's, not a time limit's)
	if ((nrc != 0 && nrc < 124 && rrc == nrc)) && [[ $(head -1 "$r") == "$(head -1 "$q")" ]]; then
		ok "$s: fails here as nfsq does (exit $nrc): $(head -1 "$q" | cut -c1-100)"
		continue
	fi
	if ((rrc != 0 || nrc != 0)); then
		bad "$s" "nfsq-run exit $rrc, nfsq exit $nrc: $(head -5 "$r") / $(head -5 "$q")"
	elif differ "$r" "$q" && grep -q '^nfsq: [0-9]* [a-z0-9_.]* events missed' "$r" "$q"; then
		echo "INEXACT $s: nfsq-run and nfsq print different maps or rows where the kernel skipped events (reported): $(grep -h -o '^nfsq: [0-9]* [a-z0-9_.]* events missed' "$r" "$q" | paste -sd, -): $(grep '^[<>]' /tmp/shape.diff | tr '\n' ' ')"
	elif differ "$r" "$q"; then
		bad "$s" "nfsq-run and nfsq print different maps or rows: $(head -20 /tmp/shape.diff)"
	else
		ok "$s: nfsq-run prints the maps and rows nfsq prints ($(wc -l <"$r") lines)"
	fi
	case $s in
	nfsdist)
		w=$(writes "$r") wn=$(writes "$q")
		((w == 10 && wn == 10)) && ok "nfsdist: 10 of 10 writes in @usecs[nfs.write] through nfsq-run (and nfsq)" ||
			bad "nfsdist" "$w writes in @usecs[nfs.write] through nfsq-run, $wn through nfsq, want 10: $(cat "$r")" ;;
	nfsslower)
		w=$(grep -cE ' W +65536 ' "$r")
		((w == 10)) && ok "nfsslower 0: 10 of 10 writes listed through nfsq-run" ||
			bad "nfsslower" "$w W lines through nfsq-run, want 10: $(cat "$r")" ;;
	esac
done
rm -rf "$res"
echo "compiled: $pass passed, $fail failed"
((fail == 0))

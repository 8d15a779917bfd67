#!/bin/bash
# compiled.sh NFSQ NFSQ_RUN CALLS - compiled files (nfsq --compile -o FILE) and nfsq-run:
# what a file holds besides the BPF object (the script's arguments, the -p filter, the map
# size, the script for messages), what is refused and how (another kernel build, a cut or
# damaged file, options of the run given to --compile), and that nfsq-run carries neither
# LLVM nor the front end. The output of every kernel test case through nfsq-run is checked
# by the runtime_compiled_* tests (run.sh with NFSQ_RUN). Exit 77 when not root.
set -u
nfsq=$(realpath "$1") run=$(realpath "$2") calls=$(realpath "$3")
[[ $(id -u) == 0 ]] || { echo "SKIP: loads BPF programs, needs root"; exit 77; }
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
fails=0
pass() { echo "PASS $*"; }
fail() { echo "FAIL $*"; fails=1; }
# expect DESC RC PATTERN CMD...: CMD exits RC and its stdout+stderr matches the ERE PATTERN
expect() {
	local desc=$1 want=$2 pat=$3 out rc
	shift 3
	out=$("$@" 2>&1)
	rc=$?
	# (a line of the output, or the whole output as one line)
	if [[ $rc == "$want" ]] && { grep -qE -- "$pat" <<<"$out" || grep -qE -- "$pat" <<<"$(tr '\n' ' ' <<<"$out")"; }; then
		pass "$desc"
	else
		fail "$desc: exit $rc (want $want), output:"; printf '%s\n' "$out"
	fi
}

# nfsq-run is built from the runtime alone
if nm "$run" 2>/dev/null | grep -qE ' (LLVM|yyparse|cg_compile|compile_parse)'; then
	fail "nfsq-run holds LLVM or the front end: $(nm "$run" | grep -E ' (LLVM|yyparse|cg_compile)' | head -3)"
elif nm "$run" | grep -q ' run_object'; then
	pass "nfsq-run has the runtime and no LLVM, parser or compiler ($(stat -c %s "$run") bytes)"
else
	fail "nfsq-run: no symbols to check"
fi
ldd "$run" | grep -qi llvm && fail "ldd nfsq-run shows LLVM" || pass "ldd nfsq-run shows no LLVM"

# a file with the script's arguments fixed in it, run by nfsq-run, by nfsq, and as a command
prog='tracepoint:syscalls:sys_enter_getppid /pid == cpid/ { @n[$1] = count(); }'
expect "--compile writes the file" 0 '^$' "$nfsq" --compile -o "$tmp/p.o" -e "$prog" 7
[[ -x $tmp/p.o && $(head -1 "$tmp/p.o") == '#!/usr/bin/nfsq-run' ]] && pass "it is executable with a #! line" ||
	fail "the file is not executable or has no #! line: $(ls -l "$tmp/p.o")"
expect "nfsq-run counts exactly" 0 '^@n\[7\]: 5$' "$run" -q -c "$calls getppid 5" "$tmp/p.o"
expect "options after the file (its #! line puts them there)" 0 '^@n\[7\]: 4$' "$run" "$tmp/p.o" -q -c "$calls getppid 4"
expect "nfsq FILE runs it too" 0 '^@n\[7\]: 5$' "$nfsq" -q -c "$calls getppid 5" "$tmp/p.o"
expect "-f json" 0 '^\{"type":"map","name":"@n","data":\[\{"key":\[7\],"value":3\}\]\}$' "$run" -q -f json -c "$calls getppid 3" "$tmp/p.o"
expect "-o FILE" 0 '^$' "$run" -q -o "$tmp/out" -c "$calls getppid 2" "$tmp/p.o"
grep -qx '@n\[7\]: 2' "$tmp/out" && pass "-o wrote the maps" || fail "-o wrote: $(cat "$tmp/out")"
expect "arguments after the file are refused" 2 'arguments .* were fixed when it was compiled' \
	"$run" -c "$calls getppid 1" "$tmp/p.o" 8
expect "cpid without -c is refused" 2 "reads 'cpid'.*run it with -c CMD" "$run" "$tmp/p.o"

# -p: the filter is compiled into every file; without -p it passes every process
sleep 60 & sleeper=$!
"$calls" spin-getppid 100000000 >/dev/null & spinner=$!
expect "--compile of a program without cpid" 0 '^$' "$nfsq" --compile -o "$tmp/all.o" -e \
	'tracepoint:syscalls:sys_enter_getppid { @n = count(); } interval 200ms { exit(); }'
expect "no -p: the spinner's calls are counted" 0 '^@n: [1-9][0-9]*$' "$run" -q "$tmp/all.o"
out=$("$run" -q -p $sleeper "$tmp/all.o" 2>&1)
[[ -z $out ]] && pass "-p: nothing counted of a process that makes no calls" || fail "-p: $out"
kill $sleeper $spinner; wait $sleeper $spinner 2>/dev/null

# --map-size at the run resizes the file's hash maps
"$nfsq" --compile -o "$tmp/m.o" -e 'tracepoint:syscalls:sys_enter_getppid /pid == cpid/ { @m[nsecs] = count(); }'
"$run" -q --map-size 10 -f json -c "$calls getppid 50" "$tmp/m.o" >"$tmp/out" 2>"$tmp/err"
keys=$(grep -o '"value":1' "$tmp/out" | wc -l)
if [[ $keys == 10 ]] && grep -q '"map_full":{"@m":40}' "$tmp/out"; then
	pass "--map-size 10: 10 keys kept, 40 updates counted as dropped"
else
	fail "--map-size 10: $keys keys, output:"; cat "$tmp/out" "$tmp/err"
fi

# the script is in the file: a verifier rejection points into it
printf 'tracepoint:syscalls:sys_enter_getppid {\n\t@n = count();\n}\n' >"$tmp/rej.nfsq"
(cd "$tmp" && NFSQ_TEST_REJECT_LINE=2 "$nfsq" --compile -o rej.o rej.nfsq)
expect "a verifier rejection names the script's line" 3 '^rej.nfsq:2:[0-9]+: error: the kernel' "$run" "$tmp/rej.o"

# the kernel facts (here the tracepoint record's offsets) are found and patched at load:
# a file whose code holds none of them (NFSQ_TEST_UNPATCHED: zeros) runs exactly, also on
# another kernel build
prog2='tracepoint:syscalls:sys_enter_getppid /pid == cpid/ { @n = count(); @s = sum(args->__syscall_nr); }' # getppid is 110 on x86_64
NFSQ_TEST_UNPATCHED=1 "$nfsq" --compile -o "$tmp/z.o" -e "$prog2"
expect "the kernel facts come from the load (a file without them)" 0 \
	'^@n: 3 +@s: 330 *$' \
	env NFSQ_TEST_KERNEL_BUILD=another "$run" -q -c "$calls getppid 3" "$tmp/z.o"
expect "--info: the facts" 0 "kernel facts: 1 probes resolved at load, [1-9][0-9]* places patched" "$run" --info "$tmp/z.o"
# a raw fentry probe's arguments are this kernel build's (typed by its BTF): that file
# runs on it only (fentry does not attach on this machine: --info says where it runs)
"$nfsq" --compile -o "$tmp/fe.o" -e 'fentry:vfs_read { @n = count(); }'
expect "a raw fentry probe: this kernel build only" 0 'kernels: that kernel build only' "$run" --info "$tmp/fe.o"
expect "a raw fentry probe: another kernel build is refused" 3 \
	'compiled for Linux .* \(.*\) only .*, and this is Linux .* \(another\): compile the script here' \
	env NFSQ_TEST_KERNEL_BUILD=another "$run" "$tmp/fe.o"

# refused: a cut or damaged file, what is not a compiled file
# a kernel address (kaddr(); rpc.* probes' mount field reads super_blocks') is this boot's only
sym=$(awk '$2 == "T" && $3 !~ /[.]/ {print $1, $3; exit}' /proc/kallsyms)
"$nfsq" --compile -o "$tmp/k.o" -e "BEGIN { printf(\"%x\\n\", kaddr(\"${sym#* }\")); exit(); }"
expect "kaddr() in this boot" 0 "^${sym%% *}\$" "$run" -q "$tmp/k.o"
expect "kaddr() in another boot is refused" 3 "holds the address of kernel symbol ${sym#* } .*compiled in another boot" \
	env NFSQ_TEST_BOOT_ID=another "$run" "$tmp/k.o"
expect "a file without kernel addresses runs in another boot" 0 '^@m\[[0-9]+\]: 1$' \
	env NFSQ_TEST_BOOT_ID=another "$run" -q "$tmp/m.o" -c "$calls getppid 2"
expect "--info says what the file holds and that it runs here" 0 \
	"compiled by nfsq .*compiled on: Linux $(uname -r) .*script: -e .*reads cpid.*tracepoint:syscalls:sys_enter_getppid.*@n \(count\).*runs here: yes" \
	"$run" --info "$tmp/p.o"
expect "--info on another kernel build" 3 'runs here: no: it was compiled for Linux .* only' \
	env NFSQ_TEST_KERNEL_BUILD=another "$run" --info "$tmp/fe.o"
expect "--info with an option of the run" 2 'info runs nothing' "$run" --info -o "$tmp/x" "$tmp/p.o"
size=$(stat -c %s "$tmp/p.o")
head -c $((size / 2)) "$tmp/p.o" >"$tmp/cut.o"
expect "a cut file is refused" 2 'cannot run .*cut.o: it is cut or damaged' "$run" "$tmp/cut.o"
cp "$tmp/p.o" "$tmp/bad.o"
printf '\xa5' | dd of="$tmp/bad.o" bs=1 seek=$((size / 2)) conv=notrunc status=none
expect "a damaged byte is refused" 2 'checksum does not match' "$run" "$tmp/bad.o"
sed 's/NFSQ-OBJECT [0-9]*/NFSQ-OBJECT 9/' "$tmp/p.o" >"$tmp/v9.o"
expect "another format is refused" 2 'format 9, and this nfsq reads format [0-9]' "$run" "$tmp/v9.o"
echo "$prog" >"$tmp/s.nfsq"
expect "a script given to nfsq-run" 2 'it is not a compiled nfsq program' "$run" "$tmp/s.nfsq"
expect "--compile without -o" 2 'needs -o FILE' "$nfsq" --compile -e "$prog"
expect "--compile with -c" 2 '-c is an option of the run' "$nfsq" --compile -o "$tmp/x.o" -c true -e "$prog"
expect "--compile of a compiled file" 2 'compiled already' "$nfsq" --compile -o "$tmp/x.o" "$tmp/p.o"
expect "a script error at --compile" 1 '^-e:1:' "$nfsq" --compile -o "$tmp/x.o" -e 'BEGIN { @x = nope; }'
exit $fails

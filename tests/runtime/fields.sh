#!/bin/bash
# fields.sh NFSQ CALLS - per-field resolution (issue #16), on the hidden probe test.fields
# (probes/catalogue.c): raw tracepoint sys_enter preferred, classic raw_syscalls:sys_enter
# second; "di" resolves by its second recipe, "gone" by none, "viatp" only on the second.
#
# - a script that reads only fields that resolve runs and counts exactly (1000 getppid);
# - one reading "viatp" gets the classic tracepoint, and counts exactly too;
# - one reading "gone" fails before loading: file:line:col of the read, the field, the
#   kernel, why, and what to read instead; exit 3 (as for a probe not on this kernel);
#   nothing attached;
# - -lv shows each field's state: the recipe used, or why it is unavailable.
# Exit 77 when not root.
set -u
nfsq=$1 calls=$2
[[ $(id -u) == 0 ]] || { echo "SKIP: loads BPF programs, needs root"; exit 77; }
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
fails=0
check() { # NAME CMD...: passes when CMD succeeds
	local name=$1; shift
	if "$@"; then echo "PASS $name"; else echo "FAIL $name"; cat "$tmp/out" "$tmp/err"; fails=1; fi
}
nr=$(awk '/__NR_getppid/ {print $3; exit}' /usr/include/x86_64-linux-gnu/asm/unistd_64.h 2>/dev/null)
nr=${nr:-110}

"$nfsq" -q -e "test.fields /pid == cpid && nr == $nr/ { @c = count(); @d = sum(di == di ? 1 : 0); }" \
	-c "$calls getppid 1000" > "$tmp/out" 2> "$tmp/err"
check "fields that resolve (one by its second recipe) run exactly" \
	grep -qx '@c: 1000' "$tmp/out"
check "... with di read" grep -qx '@d: 1000' "$tmp/out"

"$nfsq" -q -v -e "test.fields /pid == cpid && viatp == $nr/ { @c = count(); }" \
	-c "$calls getppid 1000" > "$tmp/out" 2> "$tmp/err"
check "a field only the second attach point records picks it, exactly" grep -qx '@c: 1000' "$tmp/out"

# recipes that compute: a choice between strings, a byte range's length, a constant string
"$nfsq" -q -e 'test.fields /pid == cpid && (name == "getppid" || di == -1 || di == 4294967295)/ { @n[name, text] = count(); @s[name] = sum(span); }' \
	-c "$calls mixed 3 100 200" > "$tmp/out" 2> "$tmp/err"
check "a choice between strings and a constant string" grep -qx '@n\[getppid, fixed\]: 3' "$tmp/out"
check "... the other side of the choice" grep -qx '@n\[read, fixed\]: 2' "$tmp/out"
check "span(A | B) is B - A + 1" grep -qx '@s\[read\]: 302' "$tmp/out"

printf 'test.fields /pid == cpid/ {\n\t@c = count();\n\t@g[nr, gone] = count();\n}\n' > "$tmp/gone.nfsq"
(cd "$tmp" && "$nfsq" -q -c true gone.nfsq) > "$tmp/out" 2> "$tmp/err"
rc=$?
want="gone.nfsq:3:9: error: field 'gone' of test.fields cannot be read on this kernel ($(uname -r)): struct pt_regs has no member 'no_such_member' on this kernel (recipe 'arg(struct pt_regs)->no_such_member'); and tracepoint:raw_syscalls:sys_enter does not record it; instead: nr"
check "an unavailable field is an error where it is read (exit 3: not on this kernel)" test "$rc" = 3
check "... saying where, which field, the kernel, why and what instead" grep -qxF "$want" "$tmp/err"
check "... before anything is loaded" bash -c "! grep -q Attaching '$tmp/out' '$tmp/err'"

"$nfsq" -q -e 'test.fields { @[di, viatp] = count(); }' > "$tmp/out" 2> "$tmp/err"
check "two fields that no one attach point gives together: the second, and why" grep -qF \
	"-e:1:21: error: field 'viatp' of test.fields cannot be read on this kernel ($(uname -r)): only tracepoint:raw_syscalls:sys_enter gives it here, and that cannot give 'di' (tracepoint:raw_syscalls:sys_enter does not record it): read them in separate clauses" "$tmp/err"

"$nfsq" -lv test.fields > "$tmp/out" 2> "$tmp/err"
check "-l says which fields are not here" grep -q 'available, except fields: gone$' "$tmp/out"
check "-lv shows the recipe used for each field" \
	grep -q 'read at raw_tracepoint:sys_enter: arg(struct pt_regs)->di$' "$tmp/out"
check "... and where another attach point gives it" \
	grep -q 'read at tracepoint:raw_syscalls:sys_enter: tp.id$' "$tmp/out"
check "... or why it is unavailable" \
	grep -q "unavailable here: struct pt_regs has no member 'no_such_member'" "$tmp/out"
"$nfsq" -lvv test.getppid > "$tmp/out" 2> "$tmp/err"
check "-lvv of a start/end pair says what its latency is" \
	grep -q 'read at tracepoint:syscalls:sys_exit_getppid: the time since tracepoint:syscalls:sys_enter_getppid$' "$tmp/out"
exit $fails

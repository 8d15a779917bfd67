#!/bin/bash
# cache.sh NFSQ CALLS - the object cache ($NFSQ_CACHE_DIR): a repeated run takes its object
# from it; what changes the object (the script's arguments, -p) changes the entry; a damaged
# entry is not loaded: the next run compiles again, works, and rewrites it.
#
# A run fills the cache, the next takes it from there (-v says so); then the cached entry is
# cut to half its size (a full disk, a crash), or one byte in its middle (the ELF) or in the
# programs' table after it is changed, and the next run must still count exactly and leave
# an entry of the first size behind. Exit 77 when not root.
set -u
nfsq=$1 calls=$2
[[ $(id -u) == 0 ]] || { echo "SKIP: loads BPF programs, needs root"; exit 77; }
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
export NFSQ_CACHE_DIR=$tmp/cache
prog='tracepoint:syscalls:sys_enter_getppid /pid == cpid/ { @n = count(); }'
fails=0
run() { # run DESC: one traced run, which must print @n: 3 and exit 0
	"$nfsq" -q -e "$prog" -c "$calls getppid 3" >"$tmp/out" 2>"$tmp/err"
	local rc=$?
	if [[ $rc == 0 ]] && grep -qx '@n: 3' "$tmp/out"; then
		echo "PASS $1"
	else
		echo "FAIL $1: exit $rc, output:"; cat "$tmp/out" "$tmp/err"; fails=1
	fi
}
run "first run, fills the cache"
obj=$(ls "$NFSQ_CACHE_DIR"/*.o 2>/dev/null | head -1)
[[ -n $obj ]] || { echo "FAIL no object in the cache after a run"; exit 1; }
size=$(stat -c %s "$obj")
if "$nfsq" -v -q -e "$prog" -c "$calls getppid 3" 2>&1 >/dev/null | grep -q 'bytes from the cache in'; then
	echo "PASS the second run takes the object from the cache"
else
	echo "FAIL the second run did not take the object from the cache"; fails=1
fi
# what is compiled in changes the key: a run with another argument, or with -p, is not
# given the first one's object
argprog='BEGIN { printf("arg %d\n", $1); exit(); }'
for a in 5 7 5; do
	out=$("$nfsq" -q -e "$argprog" "$a" 2>&1)
	[[ $out == "arg $a" ]] && echo "PASS argument $a: $out" || { echo "FAIL argument $a: $out"; fails=1; }
done
sleep 60 & sleeper=$!
"$calls" spin-getppid 100000000 >/dev/null & spinner=$!
pprog='tracepoint:syscalls:sys_enter_getppid { @n = count(); } interval 200ms { exit(); }'
for p in "" "-p $sleeper" ""; do
	# shellcheck disable=SC2086 # $p: no option or two words
	"$nfsq" -q $p -e "$pprog" >"$tmp/out" 2>&1
	if [[ -z $p ]]; then # the spinner's calls are counted
		grep -qx '@n: [1-9][0-9]*' "$tmp/out" && echo "PASS no -p: $(cat "$tmp/out")" ||
			{ echo "FAIL no -p: $(cat "$tmp/out")"; fails=1; }
	else # only the sleeper's, which makes none
		[[ ! -s $tmp/out ]] && echo "PASS -p: nothing counted" || { echo "FAIL -p: $(cat "$tmp/out")"; fails=1; }
	fi
done
kill $sleeper $spinner; wait $sleeper $spinner 2>/dev/null
(($(ls "$NFSQ_CACHE_DIR"/*.o | wc -l) == 5)) && echo "PASS 5 entries for 5 different compilations" ||
	{ echo "FAIL $(ls "$NFSQ_CACHE_DIR"/*.o | wc -l) entries, want 5"; fails=1; }
truncate -s $((size / 2)) "$obj"
run "the cached object cut to half its size"
if [[ $(stat -c %s "$obj") == "$size" ]]; then
	echo "PASS the cut entry was rewritten"
else
	echo "FAIL the cut entry was not rewritten: $(stat -c %s "$obj") bytes, want $size"; fails=1
fi
# one byte in the middle of the object changed, the size unchanged
printf '\xa5' | dd of="$obj" bs=1 seek=$((size / 2)) conv=notrunc status=none
run "one byte of the cached object changed"
# one byte of the programs' table (its last bytes, before the 40-byte trailer)
printf 'X' | dd of="$obj" bs=1 seek=$((size - 40 - 3)) conv=notrunc status=none
run "one byte of the programs' table changed"
run "the rewritten entry is used"
exit $fails

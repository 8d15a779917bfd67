#!/bin/bash
# cache.sh NFSQ CALLS - a damaged object in the cache ($NFSQ_CACHE_DIR) is not loaded:
# the next run compiles again, works, and rewrites the entry.
#
# A run fills the cache; then the cached object is cut to half its size (a full disk, a
# crash), or one byte in its middle is changed, and the next run must still count exactly
# and leave an entry of the first size behind. Exit 77 when not root.
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
run "the rewritten entry is used"
exit $fails

#!/bin/bash
# print_clear.sh NFSQ CALLS - print(@m); clear(@m) at intervals is one read that empties the
# map as it reads it (LAYOUT_EV_PRINT_CLEAR): an event counted while nfsq prints the map is
# in the next print, not cleared unseen. A getppid loop runs for 2 s under 1000 prints a second,
# once with the two statements as one, once kept apart (an if between them: two reads, as
# bpftrace does it); the counts printed are summed against the calls made.
#  - @c, count() without keys (a per-CPU array, never written from user space: a clear keeps
#    its values as a base that reads subtract): exact as one read (asserted).
#  - @n[comm], count() with keys (a per-CPU hash): each entry is read and deleted at once; an
#    event is lost only when it lands between a program's lookup of the entry and its add,
#    nanoseconds, where two reads lose the whole print's (here 406 of 4.34 M against 80 839
#    of 4.42 M). Asserted: at most a tenth of two reads' losses, in the same run (when those
#    are 100 or more).
set -u
nfsq=$1 calls=$2
[[ $(id -u) == 0 ]] || { echo "SKIP: needs root" >&2; exit 77; }
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
declare -A lost lostc
for v in one two; do
	body='print(@n); print(@c); clear(@n); clear(@c);'
	[[ $v == two ]] && body='print(@n); print(@c); if (pid == 0) { exit(); } clear(@n); clear(@c);'
	"$nfsq" -q -c "$calls spin-getppid 2000" -e "tracepoint:syscalls:sys_enter_getppid /pid == cpid/ {
		@n[comm] = count(); @c = count(); }
	interval:ms:1 { $body }" >"$tmp/$v" 2>"$tmp/$v.err" || { echo "FAIL: nfsq exited $?: $(head -5 "$tmp/$v.err")"; exit 1; }
	made=$(grep -xE '[0-9]+' "$tmp/$v")
	[[ -n $made ]] || { echo "FAIL: no count from calls: $(head -5 "$tmp/$v")"; exit 1; }
	n=$(awk '/^@n\[/ {s += $NF} END {print s + 0}' "$tmp/$v") c=$(awk '/^@c:/ {s += $NF} END {print s + 0}' "$tmp/$v")
	lost[$v]=$((made - n)) lostc[$v]=$((made - c))
	echo "$v read(s): $made calls, @n printed $n in $(grep -c '^@n\[' "$tmp/$v") prints (lost ${lost[$v]}), @c $c (lost ${lostc[$v]})"
	((lost[$v] >= 0 && lostc[$v] >= 0)) || { echo "FAIL: more counted than made"; exit 1; }
done
((lostc[one] == 0)) || { echo "FAIL: @c, count() without keys, lost ${lostc[one]} as one read: want exact"; exit 1; }
if ((lost[two] < 100)); then
	echo "PASS (not compared: two reads lost ${lost[two]} < 100, too few to compare)"
elif ((lost[one] * 10 <= lost[two])); then
	echo "PASS: one read lost ${lost[one]}, two lost ${lost[two]}"
else
	echo "FAIL: print and clear as one read lost ${lost[one]}, more than a tenth of two reads' ${lost[two]}"
	exit 1
fi

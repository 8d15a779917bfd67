#!/bin/bash
# tests/runtime/stacks.sh NFSQ CALLS: kstack beyond the text format (which tests/compat
# compares with bpftrace's): the same stack in -f json and in Prometheus labels is the
# text's frames in flame graphs' folded form (root first, ';' between), and stacks that
# do not fit the stack map are counted and printed as [lost].
set -u
nfsq=$1 calls=$2
[[ $(id -u) == 0 ]] || { echo "SKIP: needs root"; exit 77; }
command -v curl >/dev/null || { echo "SKIP: curl is not installed (./dev setup)"; exit 77; }
tmp=$(mktemp -d)
pid=
trap '[[ -n $pid ]] && kill -9 $pid 2>/dev/null; rm -rf "$tmp"' EXIT
fails=0
expect() { # expect DESC GOT WANT
	if [[ $2 == "$3" ]]; then echo "ok   $1"; else echo "FAIL $1: got '$2', want '$3'"; fails=$((fails + 1)); fi
}
prog='tracepoint:syscalls:sys_enter_getppid /pid == cpid/ { @[kstack] = count(); }'

"$nfsq" -q -e "$prog" -c "$calls getppid 3" >"$tmp/text" || exit 1
folded=$(grep '^    ' "$tmp/text" | sed 's/^ *//' | tac | paste -sd';')
[[ $folded == *';'* ]] || { echo "FAIL: no kernel stack in the text output:"; cat "$tmp/text"; exit 1; }
"$nfsq" -q -f json -e "$prog" -c "$calls getppid 3" >"$tmp/json" || exit 1
expect "json: the folded stack" "$(cat "$tmp/json")" \
	"{\"type\":\"map\",\"name\":\"@\",\"data\":[{\"key\":[\"$folded\"],\"value\":3}]}"

# Prometheus: the label of the same stack (the map is keyed by pid: another process's
# getppid would not count)
"$nfsq" --serve 127.0.0.1:0 -e 'tracepoint:syscalls:sys_enter_getppid /comm == "stk'$$'"/ { @calls[kstack] = count(); }' \
	>"$tmp/serve.out" 2>"$tmp/serve.err" &
pid=$!
port=
for _ in $(seq 200); do
	port=$(sed -n 's|^Serving metrics at http://127.0.0.1:\([0-9]*\)/metrics$|\1|p' "$tmp/serve.err")
	[[ -n $port ]] && break
	kill -0 $pid 2>/dev/null || break
	sleep 0.1
done
[[ -n $port ]] || { echo "FAIL: nfsq --serve did not start: $(cat "$tmp/serve.err")"; exit 1; }
cp "$calls" "$tmp/stk$$"
"$tmp/stk$$" getppid 4
expect "prometheus: the folded stack as the label" \
	"$(curl -sS --max-time 20 "http://127.0.0.1:$port/metrics" | grep '^nfsq_calls_total{')" \
	"nfsq_calls_total{kstack=\"$folded\"} 4"
kill -TERM $pid
wait $pid
pid=

# a full stack map: the third stack (of three) is lost, counted and printed as [lost]
"$nfsq" -q --map-size 2 -e 'tracepoint:syscalls:sys_enter_getppid /pid == cpid/ {
	@a[kstack(1)] = count(); @b[kstack(2)] = count(); @c[kstack(3)] = count(); }' \
	-c "$calls getppid 5" >"$tmp/full" 2>"$tmp/full.err"
expect "full: the lost stack" "$(sed -n '/^@c\[/,/^\]/p' "$tmp/full" | paste -sd'|')" '@c[|    [lost]|]: 5'
expect "full: reported" "$(cat "$tmp/full.err")" \
	"nfsq: 5 stacks lost: the stack map was full, printed as [lost] (raise with --map-size)"
exit $((fails > 0))

#!/bin/bash
# run.sh NFSQ - the command line: options, exit codes, listing, error paths.
set -u
nfsq=$1
fails=0 n=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# expect CODE PATTERN -- ARGS...: nfsq exits with CODE and its output matches PATTERN (grep -E)
expect() {
	local code=$1 pat=$2; shift 3
	local out rc
	out=$("$nfsq" "$@" 2>&1); rc=$?
	n=$((n + 1))
	if [[ $rc != "$code" ]] || ! grep -qE -- "$pat" <<<"$out"; then
		echo "FAIL: nfsq $* -> exit $rc (want $code), output:"; echo "$out" | head -20
		echo "      (wanted a line matching: $pat)"
		fails=$((fails + 1))
	fi
}

expect 0 '^nfsq [0-9]+\.[0-9]+' -- --version
expect 0 'usage: nfsq' -- -h
expect 0 'usage: nfsq' -- --help
expect 2 'usage: nfsq' --
expect 2 'invalid option|unrecognized option' -- -Z
expect 2 'unrecognized option' -- --bogus
expect 2 '-d takes ast, ir or bpf' -- -d xyz -e 'BEGIN { exit(); }'
expect 2 '-f takes text or json' -- -f xml -e 'BEGIN { exit(); }'
expect 2 '-p needs a process id' -- -p abc -e 'BEGIN { exit(); }'
expect 2 '-p 4000000: no such process' -- -p 4000000 -e 'BEGIN { exit(); }'
expect 2 '-c and -p cannot be used together' -- -c true -p 1 -e 'BEGIN { exit(); }'
expect 2 'cannot open script /nonexistent.nfsq: No such file' -- /nonexistent.nfsq
expect 2 'is not a regular file' -- /tmp
expect 2 'requires an argument' -- -e

# the issue's headline checks
expect 0 '^$' -- --check -e 'nfs.read /latency > 10ms/ { @[comm, file] = hist(latency); }'
expect 1 "^-e:1:11: error: unknown field 'latncy' in probe nfs.read \(did you mean 'latency'\?\)" -- --check -e 'nfs.read /latncy > 10ms/ { @[comm, file] = hist(latency); }'
expect 1 '^      \|           \^~~~~~$' -- --check -e 'nfs.read /latncy > 10ms/ { @[comm, file] = hist(latency); }'
expect 0 '^      field latency :int' -- -d ast -e 'nfs.read /latency > 10ms/ { @[comm, file] = hist(latency); }'

# listing
expect 0 '^nfs\.read +read\(2\) through the NFS client' -- -l
expect 0 '^rpc\.done ' -- -l 'rpc.*'
expect 0 '^nfsd\.op ' -- -l
expect 2 "no probe matches 'zzz\*'" -- -l 'zzz*'
expect 0 'latency +int +ns from entry to return' -- -lv nfs.read
expect 0 'kprobe:nfs_file_read \.\. kretprobe:nfs_file_read' -- -lv nfs.read
expect 0 'fentry:nfs_file_read \.\. fexit:nfs_file_read' -- -lv nfs.read
expect 0 'file +string\[64\]' -- -l -v nfs.read
if [[ ! -d /sys/module/nfs ]]; then
	expect 0 "^nfs\.read .*unavailable: kernel module 'nfs' is not loaded" -- -l nfs.read
	# a probe this kernel cannot give is not the script's fault: exit 3, the reason, the place
	expect 3 "^-e:1:1: error: probe cannot be used on this kernel: kernel module 'nfs' is not loaded \(modprobe nfs\)" -- -e 'nfs.read { @ = count(); }'
	expect 3 "kernel module 'nfs' is not loaded" -- --no-fentry -e 'nfs.read { @ = count(); }'
fi
"$nfsq" -l | grep -q '^test\.' && { echo "FAIL: hidden test probes are listed"; fails=$((fails + 1)); }

# scripts from files, with arguments and a #! line
printf '#!/usr/bin/env nfsq\nnfs.read /latency > $1/ { @[comm] = count(); }\n' > "$tmp/s.nfsq"
expect 0 '^$' -- --check "$tmp/s.nfsq" 10ms
expect 0 '^$' -- --check "$tmp/s.nfsq" # (a missing argument is 0, as in bpftrace)
printf '#!/usr/bin/env nfsq\ndefault $1 = 10ms;\nnfs.read /latency > $1/ { @[comm] = count(); }\n' > "$tmp/d.nfsq"
expect 0 '^$' -- --check "$tmp/d.nfsq"
# every saved script runs with no arguments (its defaults), as its BCC namesake does
for s in "$(dirname "$0")"/../../scripts/*.nfsq; do expect 0 '^$' -- --check "$s"; done
expect 1 "d\\.nfsq:2:14: error: argument \\\$1 is 'x', not an integer as its default here" -- --check "$tmp/d.nfsq" x

# a script from a pipe (process substitution) is read to its end, like bpftrace; a FIFO
# without a writer does not hang silently: nfsq says that it waits, then reads the writer's
expect 0 '^$' -- --check <(echo 'BEGIN { exit(); }')
expect 0 '^$' -- --check <(sleep 0.5; echo 'BEGIN { exit(); }')
expect 1 "^/dev/fd/[0-9]+:1:9: error: 'x' alone is not a statement" -- --check <(echo 'BEGIN { x }')
expect 1 '^/dev/fd/[0-9]+:1:11: error: syntax error' -- --check <(echo 'BEGIN { x y }')
mkfifo "$tmp/fifo"
timeout 20 "$nfsq" --check "$tmp/fifo" >"$tmp/fifo.out" 2>&1 &
fpid=$!
for _ in $(seq 100); do grep -q . "$tmp/fifo.out" && break; sleep 0.1; done
n=$((n + 1))
if ! grep -qx "nfsq: waiting for a writer on FIFO $tmp/fifo" "$tmp/fifo.out"; then
	echo "FAIL: nfsq on a FIFO without a writer: no 'waiting for a writer' line: $(cat "$tmp/fifo.out")"
	fails=$((fails + 1))
fi
timeout 10 sh -c "echo 'BEGIN { exit(); }' >'$tmp/fifo'"
wait "$fpid"
rc=$?
n=$((n + 1))
if [[ $rc != 0 ]] || [[ $(grep -vc 'waiting for a writer' "$tmp/fifo.out") != 0 ]]; then
	echo "FAIL: nfsq on a FIFO: exit $rc (want 0), output: $(cat "$tmp/fifo.out")"
	fails=$((fails + 1))
fi

# -o refuses to follow a symbolic link
ln -s "$tmp/target" "$tmp/link"
expect 2 'does not follow them' -- -o "$tmp/link" -e 'BEGIN { exit(); }'
[[ -e $tmp/target ]] && { echo "FAIL: -o wrote through a symlink"; fails=$((fails + 1)); }
# ... and leaves a file planted by another user alone (as root: chown), but writes devices
if [[ $(id -u) == 0 ]]; then
	echo planted > "$tmp/planted" && chown 65534 "$tmp/planted"
	expect 2 'will not write .*planted: it belongs to user 65534' -- -o "$tmp/planted" -e 'BEGIN { exit(); }'
	[[ $(cat "$tmp/planted") == planted ]] || { echo "FAIL: -o truncated another user's file"; fails=$((fails + 1)); }
	expect 0 '^$' -- -q -o /dev/null -e 'BEGIN { printf("x\n"); exit(); }'
	echo old > "$tmp/mine"
	expect 0 '^$' -- -q -o "$tmp/mine" -e 'BEGIN { printf("new\n"); exit(); }'
	[[ $(cat "$tmp/mine") == new ]] || { echo "FAIL: -o did not replace its own file: $(cat "$tmp/mine")"; fails=$((fails + 1)); }
	# output that cannot be written: exit 3 and one stderr line with the cause
	for how in printf map json -o; do
		args=(-q -e 'BEGIN { printf("x\n"); exit(); }')
		case $how in
		map) args=(-q -e 'BEGIN { @x = count(); exit(); }') ;;
		json) args=(-q -f json -e 'BEGIN { @x = count(); exit(); }') ;;
		-o) args=(-q -o /dev/full -e 'BEGIN { printf("x\n"); exit(); }') ;;
		esac
		err=$("$nfsq" "${args[@]}" 2>&1 >/dev/full); rc=$?
		n=$((n + 1))
		if [[ $rc != 3 || $err != "nfsq: writing the output failed: No space left on device; "*" bytes of output lost" ]]; then
			echo "FAIL: nfsq ${args[*]} >/dev/full -> exit $rc (want 3), stderr: '$err'"
			fails=$((fails + 1))
		fi
	done
fi

# the kernel attaches at most 64 programs to one tracepoint; nfsq fuses up to 64 clauses
# on one attach point into a program, so 4096 clauses fit and the 4097th is said, before
# loading (-d ir compiles without root: a line of its IR is the success; a run fails
# before loading)
python3 -c "print('tracepoint:syscalls:sys_enter_getppid { @a = count(); }\n' * 4096)" > "$tmp/tp4096.nfsq"
expect 0 '^define .*@f63\(' -- -d ir "$tmp/tp4096.nfsq"
python3 -c "print('tracepoint:syscalls:sys_enter_getppid { @a = count(); }\n' * 4097)" > "$tmp/tp4097.nfsq"
expect 1 '^/.*/tp4097\.nfsq:4097:1: error: too many programs on tracepoint syscalls:sys_enter_getppid: the kernel attaches at most 64 BPF programs to one tracepoint, nfsq puts up to 64 clauses in each \(fewer when they use many maps\), and this clause.s is one more; put fewer clauses on this probe, or merge them$' -- "$tmp/tp4097.nfsq"

# a program reads the clock once per event, whatever its clauses do with latency; a clause
# that needs nothing from the start of a pair (no latency, no field read there) runs on the
# end event alone; the clauses that do share one start record (one map update at the
# start, one delete at the end). #18: the lab's clock, HPET, was half of nfshealth's BPF
# time. -d bpf, per program: its section, calls of bpf_ktime_get_ns (helper 5), of
# map_update_elem (2) in a start program, of map_delete_elem (3).
pair_calls() {
	"$nfsq" -d bpf -e "$1" 2>&1 | awk '/^[a-z].*:$/ { if (s != "") print s, c, u, d; s = $1; c = u = d = 0 }
		/call 5$/ { c++ } /call 2$/ && s ~ /enter/ { u++ } /call 3$/ { d++ } END { print s, c, u, d }' | sort | tr '\n' ' '
}
for c in 'test.getppid { @c = count(); }|tracepoint/syscalls/sys_exit_getppid: 0 0 0 ' \
	'test.getppid { @a = sum(latency); @b = hist(latency); } test.getppid { @c = count(); } test.getppid /latency > 0/ { @d = count(); }|tracepoint/syscalls/sys_enter_getppid: 1 1 0 tracepoint/syscalls/sys_exit_getppid: 1 0 1 '; do
	got=$(pair_calls "${c%%|*}") n=$((n + 1))
	if [[ $got != "${c#*|}" ]]; then
		echo "FAIL: clock reads, start updates, deletes per program of ${c%%|*}: $got (want ${c#*|})"
		fails=$((fails + 1))
	fi
done

# big and hostile inputs never crash: exit 1 with errors, in bounded time
head -c 1000000 /dev/urandom > "$tmp/garbage.nfsq"
expect 1 'more errors not shown' -- --check "$tmp/garbage.nfsq"
python3 -c "print('BEGIN { @x = count(); }\n' * 40000)" > "$tmp/big.nfsq"
expect 0 '^$' -- --check "$tmp/big.nfsq"
# many maps: --check looks map names up in a hash table, so 10^5 maps take at most 30
# times as long as 10^4 (linear: 10; quadratic, as it was: 100 and 31 s). Measured here, no
# absolute bound; 10^4 timed before and after 10^5 and the longer kept, so that a machine
# that gets busier in between (CI's lab VMs beside it) does not fail it.
for m in 10000 100000; do
	python3 -c "import sys; n = int(sys.argv[1]); print('BEGIN {\n' + ''.join('  @m%d = 1; @m%d = 2;\n' % (i, i // 2) for i in range(n)) + '}')" $m >"$tmp/maps$m.nfsq"
done
# ns NFSQ-ARGS...: the wall time of nfsq with them (its output dropped)
ns() { local t0=$(date +%s%N); "$nfsq" "$@" >/dev/null 2>&1; echo $(($(date +%s%N) - t0)); }
t10k=$(ns --check "$tmp/maps10000.nfsq")
t0=$(date +%s%N)
timeout "$(awk -v t="$t10k" 'BEGIN { printf "%.3f", 60 * t / 1e9 }')" "$nfsq" --check "$tmp/maps100000.nfsq"
rc=$? t100k=$(($(date +%s%N) - t0))
t=$(ns --check "$tmp/maps10000.nfsq"); ((t > t10k)) && t10k=$t
n=$((n + 1))
if [[ $rc != 0 ]] || ((t100k > 30 * t10k)); then
	echo "FAIL: --check of 10^5 maps: exit $rc, $((t100k / 1000000)) ms; 10^4 maps: $((t10k / 1000000)) ms (want at most 30 times)"
	fails=$((fails + 1))
fi
# many clauses: a tracepoint's format file is read once, not once per clause, so 10^5
# clauses on the kernel's tracepoints (at most 64 each) take at most 30 times the time of
# 10^4 (as above) and under 200 MB (they took 1.5 GB and 8.9 s, 15 KB a clause: issue #17)
if [[ $(ls -d /sys/kernel/tracing/events/*/*/ 2>/dev/null | wc -l) -gt 1600 && -r /sys/kernel/tracing/events/syscalls/sys_enter_read/format ]]; then
	for m in 10000 100000; do
		awk -v n=$m '{ tp[NR] = $0 } END { for (i = 0; i < n; i++) { t = tp[i % NR + 1]; sub("/", ":", t); printf "tracepoint:%s { @a = count(); }\n", t } }' <<<"$(cd /sys/kernel/tracing/events && ls -d */*/ | grep -v '^ftrace/' | sed 's|/$||')" >"$tmp/clauses$m.nfsq"
	done
	t0=$(date +%s%N)
	"$nfsq" --check "$tmp/clauses10000.nfsq"
	rc10k=$? t10k=$(($(date +%s%N) - t0))
	t0=$(date +%s%N)
	kb=$(timeout "$(awk -v t="$t10k" 'BEGIN { printf "%.3f", 60 * t / 1e9 }')" /usr/bin/time -f %M "$nfsq" --check "$tmp/clauses100000.nfsq" 2>&1 >/dev/null | tail -1)
	rc=$? t100k=$(($(date +%s%N) - t0))
	t=$(ns --check "$tmp/clauses10000.nfsq"); ((t > t10k)) && t10k=$t
	n=$((n + 1))
	if [[ $rc10k != 0 || $rc != 0 ]] || ((t100k > 30 * t10k || kb > 200 * 1024)); then
		echo "FAIL: --check of 10^5 tracepoint clauses: exit $rc, $((t100k / 1000000)) ms, $((kb / 1024)) MB; 10^4: exit $rc10k, $((t10k / 1000000)) ms (want at most 30 times, under 200 MB)"
		fails=$((fails + 1))
	fi
fi
printf 'BEGIN { printf("\\0"); }\0\0\0' > "$tmp/nul.nfsq"
expect 1 'unexpected character' -- --check "$tmp/nul.nfsq"
head -c 17000000 /dev/zero > "$tmp/huge.nfsq"
expect 2 'scripts may be at most' -- --check "$tmp/huge.nfsq"

echo "$((n - fails))/$n cli checks passed"
[[ $fails == 0 ]]

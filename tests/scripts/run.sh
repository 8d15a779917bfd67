#!/bin/bash
# run.sh [--kernel 6.1|6.12] NFSQ - the saved scripts (scripts/*.nfsq) against the faults they find.
#
# On the host: every script must pass `nfsq --check`; then the NFS lab boots ONCE and
# this file re-runs itself inside, where each check runs one script around one of the
# lab's fault scenarios (tests/lab/fault) and fails unless the script's output names the
# fault's layer and op:
#   fault latency 50 (netem)  nfsslower lists the slow writes; rpclat shows RTT >= 100 ms;
#                             nfshealth blames the transport/network
#   fault retrans             rpcerrors: retransmits and timeouts for READ; nfshealth: transport/server
#   fault server-down         rpcerrors: timeouts for READ; nfshealth: server down / not responding
#   fault stale               rpcerrors: ESTALE on the stale mount's file or dir
#   fault starve              nfsdtop and nfshealth: server saturation (threads busy, RPCs queued)
#   fault latency 50          nfsreq: WIRE is WRITE's largest share, >= 100 ms; its JSON events
#   fault slowdisk (dm-delay) nfshealth blames server storage (WRITE/COMMIT), not the network;
#                             nfsreq: the file system is WRITE's largest share
#                             nfsdtop (run inside it, -f json) has WRITE/COMMIT storage times >= 16 ms
#   plain workload            nfsdist histograms, nfstop top files; every script with -f json
# Outputs are kept in $NFSQ_SCRIPTS_OUT (host dir, default: a temp dir) when set.
# Exit: 0 all passed, 1 a check failed, 77 the lab cannot run here.
# NFSQ_SCRIPTS_TIMEOUT: seconds for the whole lab run (default 3000: about 15 min on an idle
# 2-core machine, the rest is margin for a loaded one); each check has 300 s.
set -u
here=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)
top=$(cd "$here/../.." && pwd)
lab=$top/tests/lab
scripts=$top/scripts

if [[ ${NFSQ_LAB:-} != 1 ]]; then
	kernel=()
	if [[ ${1:-} == --kernel ]]; then kernel=(--kernel "$2"); shift 2; fi
	nfsq=$(readlink -f "${1:?usage: run.sh [--kernel K] NFSQ}")
	rc=0
	for s in "$scripts"/*.nfsq; do
		args=(); grep -q '\$1' "$s" && args=(1)
		[[ $(basename "$s") == nfsiostat.nfsq ]] && args=(1s) # (an interval)
		if "$nfsq" --check "$s" "${args[@]}"; then echo "PASS check $(basename "$s")"; else echo "FAIL check $(basename "$s")"; rc=1; fi
	done
	outdir=()
	[[ -n ${NFSQ_SCRIPTS_OUT:-} ]] && { mkdir -p "$NFSQ_SCRIPTS_OUT"; outdir=(--out "$NFSQ_SCRIPTS_OUT"); }
	"$lab/lab" "${kernel[@]}" "${outdir[@]}" --timeout "${NFSQ_SCRIPTS_TIMEOUT:-3000}" -- "$here/run.sh" "$nfsq"
	lrc=$?
	((lrc == 77)) && exit 77
	((lrc != 0)) && rc=1
	exit $rc
fi

# ------------------------------------------------------------------ inside the VM
nfsq=$1
PATH=$lab:$PATH
pass=0 fail=0
keep=${LAB_OUT:-}
[[ -d $keep && -w $keep ]] || keep=
n=0
out=$(mktemp)
ok() { pass=$((pass + 1)); echo "PASS $1"; }
bad() { fail=$((fail + 1)); echo "FAIL $1: $2"; sed 's/^/    | /' "$out" | head -60; }
# run NAME SCRIPT "ARGS" CMD [nfsq options]: the script around CMD, output in $out (and kept)
run() {
	local name=$1 script=$2 args=$3 cmd=$4; shift 4
	# shellcheck disable=SC2086
	timeout -k 5 300 "$nfsq" -q "$@" -c "$cmd" "$scripts/$script" $args > "$out" 2>&1 || echo "(nfsq exited $?)" >> "$out"
	[[ -n $keep ]] && cp "$out" "$keep/$name.txt"
}
has() { grep -qE -- "$1" "$out"; }
line() { grep -m1 -E -- "$1" "$out"; }
echo "kernel $(uname -r)"

# ---- netem delay 50 ms each way: every RPC >= 100 ms
run nfsslower-latency nfsslower.nfsq 10ms 'fault latency 50'
slow=$(grep -cE '^ *[0-9]+\.[0-9]{3} +[^ ]+ +[0-9]+ +W +65536 .* latency\.dat +127\.0\.0\.1:/srv/nfs' "$out")
minlat=$(awk '$4 == "W" && $NF ~ /127.0.0.1/ && $9 == "latency.dat" { split($7, a, "."); if (m == "" || a[1] < m) m = a[1] } END { print m + 0 }' "$out")
if ((slow >= 4 && minlat >= 100)); then
	ok "nfsslower under netem 50ms: $slow slow 64 KiB writes of latency.dat listed, the fastest $minlat ms"
else
	bad "nfsslower under netem 50ms" "want >= 4 W lines of 65536 bytes on latency.dat >= 100 ms (got $slow, min $minlat ms)"
fi

run rpclat-latency rpclat.nfsq '' 'fault latency 50'
wrtt=$(grep -E '^@ops_rtt_us\[127\.0\.0\.1, WRITE\]' "$out" | sed -E 's/.*average ([0-9]+).*/\1/' | sort -n | tail -1)
if [[ -n $wrtt ]] && ((wrtt >= 100000)); then
	ok "rpclat under netem 50ms: WRITE to 127.0.0.1 avg rtt $((wrtt / 1000)) ms ($(line '^@ops_rtt_us\[127\.0\.0\.1, WRITE\]'))"
else
	bad "rpclat under netem 50ms" "want an @ops_rtt_us[127.0.0.1, WRITE] average >= 100000 us"
fi

run nfshealth-latency nfshealth.nfsq 0 'fault latency 50'
if has '^verdict: TRANSPORT/NETWORK' && ! has '^verdict: SERVER SATURATED'; then
	ok "nfshealth under netem 50ms: $(line '^verdict: TRANSPORT/NETWORK')"
else
	bad "nfshealth under netem 50ms" "want verdict TRANSPORT/NETWORK and no SERVER SATURATED"
fi

# ---- 100% loss under a soft mount: READ retransmitted, then timeouts
run rpcerrors-retrans rpcerrors.nfsq '' 'fault retrans'
ev=$(grep -o 'retransmits=[0-9]*' "$out" | head -1 | cut -d= -f2)
# the reader's RPC that meets the loss is READ, or GETATTR when the client revalidates first
if has '^@retransmits\[127\.0\.0\.1, (READ|GETATTR)\]: [1-9]' && has '^@timeouts\[127\.0\.0\.1, (READ|GETATTR)\]: [1-9]' &&
	has 'retransmit +127\.0\.0\.1 +(READ|GETATTR)' && has '^@nfs_errors\[nfs\.read, [^,]+, retrans\.dat, EIO\]: [1-9]'; then
	ok "rpcerrors under 100% loss: $(line '^@retransmits\[127\.0\.0\.1') (mountstats retransmits=${ev:-?}), $(line '^@timeouts\[127\.0\.0\.1'), $(line '^@nfs_errors\[nfs\.read')"
else
	bad "rpcerrors under 100% loss" "want @retransmits and @timeouts for [127.0.0.1, READ|GETATTR], a first-seen retransmit line, nfs.read EIO on retrans.dat"
fi

run nfshealth-retrans nfshealth.nfsq 0 'fault retrans'
# as for rpcerrors: the RPC that meets the fault is READ, or GETATTR when the client revalidates first
if has '^verdict: TRANSPORT/SERVER UNREACHABLE: [0-9]+ RPC timeouts \((READ|GETATTR)'; then
	ok "nfshealth under 100% loss: $(line '^verdict: TRANSPORT/SERVER UNREACHABLE')"
else
	bad "nfshealth under 100% loss" "want verdict TRANSPORT/SERVER UNREACHABLE with READ|GETATTR timeouts"
fi

# ---- server stopped: timeouts on READ
run rpcerrors-server-down rpcerrors.nfsq '' 'fault server-down'
if has '^@timeouts\[127\.0\.0\.1, (READ|GETATTR)\]: [1-9]' && has 'timeout +127\.0\.0\.1 +(READ|GETATTR)' &&
	has '^@nfs_errors\[nfs\.read, [^,]+, server-down\.dat, (EIO|ETIMEDOUT)\]: [1-9]'; then
	ok "rpcerrors with the server down: $(line '^@timeouts\[127\.0\.0\.1'), $(line '^@nfs_errors\[nfs.read')"
else
	bad "rpcerrors with the server down" "want @timeouts[127.0.0.1, READ|GETATTR], a first-seen timeout line, nfs.read EIO on server-down.dat"
fi

run nfshealth-server-down nfshealth.nfsq 0 'fault server-down'
if has '^verdict: (SERVER DOWN/NOT RESPONDING|TRANSPORT/SERVER UNREACHABLE): [0-9]+ RPC timeouts \((READ|GETATTR)'; then
	ok "nfshealth with the server down: $(line '^verdict: (SERVER DOWN|TRANSPORT/SERVER)')"
else
	bad "nfshealth with the server down" "want a SERVER DOWN (or UNREACHABLE) verdict with READ|GETATTR timeouts"
fi

# ---- export removed under a mount: ESTALE on the file / dir
run rpcerrors-stale rpcerrors.nfsq '' 'fault stale'
# the path walk fails on the first directory checked: the mount's root (/), dir or file
if has '^@nfs_errors\[nfs\.[a-z]+, 127\.0\.0\.1:/srv/stale, (file|dir|/), ESTALE\]: [1-9]' &&
	has 'nfs-error +127\.0\.0\.1:/srv/stale +nfs\.[a-z]+ +ESTALE on (file|dir|/)'; then
	ok "rpcerrors on a stale export: $(line '^@nfs_errors\[nfs\.[a-z]+, 127\.0\.0\.1:/srv/stale, (file|dir|/), ESTALE\]'), $(line '^@rpc_status\[.*ESTALE\]')"
else
	bad "rpcerrors on a stale export" "want @nfs_errors[nfs.*, 127.0.0.1:/srv/stale, file|dir|/, ESTALE]"
fi

# ---- one nfsd thread under 16 parallel readers
run nfsdtop-starve nfsdtop.nfsq '' 'fault starve'
if has 'threads: 1 seen, .*SATURATED'; then
	ok "nfsdtop with 1 nfsd thread: $(line 'threads: 1 seen, .*SATURATED')"
else
	bad "nfsdtop with 1 nfsd thread" "want a 'threads: 1 seen ... SATURATED' line"
fi

run nfshealth-starve nfshealth.nfsq 0 'fault starve'
if has '^verdict: SERVER SATURATED' && ! has '^verdict: TRANSPORT/NETWORK'; then
	ok "nfshealth with 1 nfsd thread: $(line '^verdict: SERVER SATURATED')"
else
	bad "nfshealth with 1 nfsd thread" "want verdict SERVER SATURATED and not TRANSPORT/NETWORK"
fi

# ---- slow server disk (ext4 on dm-delay, 30 ms per I/O): nfshealth, with nfsdtop inside it
top_json=$(mktemp)
run nfshealth-slowdisk nfshealth.nfsq 0 "$nfsq -q -f json -o $top_json -c 'fault slowdisk' $scripts/nfsdtop.nfsq"
[[ -n $keep ]] && cp "$top_json" "$keep/nfsdtop-slowdisk.json"
if has '^verdict: SERVER STORAGE: (WRITE|COMMIT) is slow' && ! has '^verdict: TRANSPORT/NETWORK' && has '== fault slowdisk: seen'; then
	ok "nfshealth on a slow server disk: $(line '^verdict: SERVER STORAGE')"
else
	bad "nfshealth on a slow server disk" "want verdict SERVER STORAGE naming WRITE or COMMIT, no TRANSPORT/NETWORK, and 'fault slowdisk: seen'"
fi
# storage times (nfsd.write/commit) and request times (WRITE/COMMIT) of 16 ms or more
slow_sto=$(jq -r 'select(.type == "map" and .name == "@storage_us") | .data[] | select(.key[0] == "write" or .key[0] == "commit") | .value[] | select((.min // 0) >= 16384) | .count' "$top_json" 2>/dev/null | awk '{ s += $1 } END { print s + 0 }')
slow_req=$(jq -r 'select(.type == "map" and .name == "@lat_us") | .data[] | select(.key[0] == "WRITE" or .key[0] == "COMMIT") | .value[] | select((.min // 0) >= 16384) | .count' "$top_json" 2>/dev/null | awk '{ s += $1 } END { print s + 0 }')
if ((slow_sto >= 8 && slow_req >= 8)); then
	ok "nfsdtop on a slow server disk (-f json): $slow_sto nfsd.write/commit storage times and $slow_req WRITE/COMMIT requests >= 16 ms"
else
	cp "$top_json" "$out"
	bad "nfsdtop on a slow server disk (-f json)" "want >= 8 write/commit @storage_us and >= 8 WRITE/COMMIT @lat_us entries >= 16384 us (got $slow_sto, $slow_req)"
fi
rm -f "$top_json"

# ---- plain workloads: nfsdist and nfstop
d=/mnt/nfs4/scripts; mkdir -p $d
run nfsdist-plain nfsdist.nfsq 0 "bash -c 'wl write $d/a 8 65536; wl dropcaches; wl read $d/a; wl stat $d/a 5'" -f json
hists=$(jq -r 'select(.type == "map" and .name == "@usecs") | .data[] | "\(.key[0])=\([.value[].count] | add)"' "$out" 2>/dev/null | tr '\n' ' ')
if [[ $hists == *nfs.read=* && $hists == *nfs.write=8* && $hists == *nfs.fsync=* ]]; then
	ok "nfsdist (-f json): events per histogram: $hists"
else
	bad "nfsdist (-f json)" "want @usecs histograms for nfs.read, nfs.write (8 events), nfs.fsync; got: $hists"
fi

# nfstop prints and clears its maps every second: a file's bytes may be split over two
# prints on a slow machine, so they are summed over all of them
run nfstop-plain nfstop.nfsq '' "bash -c 'wl write $d/big 32 65536; wl write $d/small 2 4096; sleep 1.2'" -f json
top=$(jq -r 'select(.type == "map" and .name == "@bytes_by_file") | .data[] | "\(.key[1]) \(.value)"' "$out" 2>/dev/null |
	awk '{ s[$1] += $2 } END { for (f in s) printf "%s=%d ", f, s[f] }')
if [[ $top == *big=2097152* && $top == *small=8192* ]]; then
	ok "nfstop (-f json): bytes by file: $top"
else
	bad "nfstop (-f json)" "want big=2097152 and small=8192 in @bytes_by_file; got: $top"
fi

# ---- nfsiostat: one report at exit (interval 3600 s) over work on both mounts; each row
# equals its mount's mountstats delta (mount point to server:/export by /proc/mounts): ops,
# bytes sent + received, retransmissions, errors exactly (a LOOKUP of a missing name is one);
# the average RTT within rounding of mountstats' millisecond total
mstats() { awk '$1 == "device" { m = $5; p = 0 } /per-op/ { p = 1; next }
	p && $1 ~ /:$/ && (m == "/mnt/nfs3" || m == "/mnt/nfs4") { print m, $0 }' /proc/self/mountstats; }
io0=$(mktemp) io1=$(mktemp)
mstats > "$io0"
run nfsiostat-plain nfsiostat.nfsq 3600s "bash -c 'wl write /mnt/nfs3/io3.dat 4 65536; wl write /mnt/nfs4/io4.dat 3 65536; wl dropcaches; wl read /mnt/nfs3/io3.dat; ls /mnt/nfs3/missing 2>/dev/null; rm /mnt/nfs3/io3.dat /mnt/nfs4/io4.dat'"
mstats > "$io1"
iobad=$(awk -v out="$out" '
	FNR == 1 { f++ }
	f == 1 { b[$1, $2] = $0; next }
	f == 2 { split(b[$1, $2], o); if ($3 - o[3] > 0) want[$1, substr($2, 1, length($2) - 1)] = ($3 - o[3]) " " ($6 + $7 - o[6] - o[7]) " " ($4 - o[4] - $3 + o[3]) " " ($11 - o[11]) " " ($9 - o[9]); next }
	f == 3 { dev[$2] = $1; next }
	END {
		while ((getline l < out) > 0) { n = split(l, c); if (n >= 14 && c[3] ~ /^[0-9]+$/) got[c[1], c[2]] = c[3] " " c[5] " " c[8] " " c[13] " " c[10] }
		for (k in want) { split(k, mo, SUBSEP); d = dev[mo[1]]; split(want[k], w, " ")
			if (!((d, mo[2]) in got)) { print d, mo[2], "missing"; continue }
			split(got[d, mo[2]], g, " "); seen[d, mo[2]] = 1; ms = g[5] * g[1]
			if (g[1] != w[1] || g[2] != w[2] || g[3] != w[3] || g[4] != w[4] || ms < w[5] - 1 || ms > w[5] + 1 + g[1] / 1000)
				print d, mo[2], "got", got[d, mo[2]], "mountstats", want[k] }
		for (k in got) if (!(k in seen)) { split(k, x, SUBSEP); print x[1], x[2], "not in mountstats" }
		rows = 0; for (k in seen) rows++; print "rows", rows }' "$io0" "$io1" /proc/mounts)
rows=$(sed -n 's/^rows //p' <<<"$iobad") iobad=$(grep -v '^rows ' <<<"$iobad")
if [[ -z $iobad ]] && ((rows >= 8)) && has '^127\.0\.0\.1:/srv/nfs +LOOKUP .* [1-9][0-9]* \([0-9.]+%\)$'; then
	ok "nfsiostat: $rows (mount, op) rows = mountstats deltas (ops, bytes, retransmits, errors; avg RTT within rounding)"
else
	bad "nfsiostat" "rows $rows; $(tr '\n' ';' <<<"$iobad")"
fi
rm -f "$io0" "$io1"

# ---- nfsreq: netem 50 ms each way puts 100 ms or more of each WRITE in WIRE (both ways), its
# largest share; each request's event (-f json: a printf event per request, a JSON object) has
# its steps in time order, on the client port the server saw (its client string ends with it)
run nfsreq-latency nfsreq.nfsq 1 'fault latency 50' -f json
ev=$(grep '^{' "$out" | jq -r 'select(.type == "printf") | .msg | select(startswith("{"))' 2>/dev/null |
	jq -r '[.op, .wire, (.t_start <= .t_transmit and .t_transmit <= .t_server_queued and
		.t_server_queued <= .t_server_received and .t_server_received <= .t_server_replied and
		.t_server_replied <= .t_received and .t_received <= .t_done), (.port as $p | .client | endswith(":\($p)"))] | @tsv' 2>/dev/null)
nev=$(grep -c . <<<"$ev") nw=$(awk '$1 == "WRITE" && $2 >= 100000000' <<<"$ev" | grep -c .) nbad=$(grep -vc $'\ttrue\ttrue$' <<<"$ev")
row=$(grep '^{' "$out" | jq -r 'select(.type == "printf") | .msg | select(startswith("WRITE "))' 2>/dev/null)
if ((nev >= 5 && nw >= 4 && nbad == 0)) && awk '{ exit !($6 >= 100000 && $NF == "WIRE") }' <<<"$row"; then
	ok "nfsreq under netem 50ms (-f json): $nev request events in order on their client port, $nw WRITEs with >= 100 ms on the wire; $row"
else
	bad "nfsreq under netem 50ms" "want >= 4 WRITE events with wire >= 100 ms, every event in order (got $nev events, $nw such WRITEs, $nbad out of order or on another port) and a WRITE row whose WIRE >= 100000 us is the largest: '$row'"
fi
# a slow exported file system (dm-delay) makes the file system WRITE's largest share
run nfsreq-slowdisk nfsreq.nfsq '' 'fault slowdisk'
if has '^WRITE +[0-9]+ .* FS$'; then
	ok "nfsreq on a slow server disk: $(line '^WRITE ')"
else
	bad "nfsreq on a slow server disk" "want a WRITE row whose largest share is FS"
fi

# ---- nfslocks: a parent and child taking and releasing locks (wl locks), then a process
# waiting 1 s for a WRITE lock a process on the server holds (wl lockwait): refused by the
# server (NFS4ERR_DENIED), granted when the holder lets go. The file is held open on the
# server throughout, so that no delegation keeps the locks on the client.
lk=/mnt/nfs4/nfslocks/l.dat lks=/srv/nfs/nfslocks/l.dat
mkdir -p "$(dirname "$lk")"; touch "$lk"
exec 9<>"$lks"
run nfslocks nfslocks.nfsq '' "sh -c 'wl locks $lk && wl lockwait $lk $lks 1'"
exec 9>&-
read -r parent child < <(sed -n 's/^locks: parent \([0-9]*\) child \([0-9]*\)$/\1 \2/p' "$out")
read -r waiter waited < <(sed -n 's/^lockwait: pid \([0-9]*\) waited \([0-9]*\) ms$/\1 \2/p' "$out")
lkbad=
for l in "@granted[$lk, ${parent:-x}, WRITE]: 3" "@granted[$lk, ${parent:-x}, READ]: 1" "@granted[$lk, ${parent:-x}, UNLOCK]: 4" \
	"@granted[$lk, ${child:-x}, WRITE]: 1" "@granted[$lk, ${child:-x}, UNLOCK]: 1" \
	"@granted[$lk, ${waiter:-x}, WRITE]: 1" "@granted[$lk, ${waiter:-x}, UNLOCK]: 1" "@wait_ms[$lk]:" "@hold_ms[$lk]:"; do
	grep -qxF -- "$l" "$out" || lkbad+="missing '$l'; "
done
has "^@refused\[$lk, ${waiter:-x}\]: [1-9]" || lkbad+="no refusal of the waiter; "
has "^@server_refused\[127\.0\.0\.1:[0-9]+, $lks\]: [1-9]" || lkbad+="no refusal on the server; "
# the waiter's wait, as nfslocks measured it, is in a bucket that holds what the workload saw
last_bucket() { # MAP: the highest non-empty bucket of histogram MAP in $out ("[1K, 2K)"); lo: its low end
	bucket=$(awk -v f="$1:" '$0 == f { on = 1; next } on && /^\[/ { print; } on && /^$/ { exit }' "$out" |
		awk '$2 > 0 { b = $1 } END { print b }')
	lo=$(sed -n 's/^\[\([0-9]*\)\(K\{0,1\}\),.*/\1 \2/p' <<<"$bucket" | awk '{ print $2 == "K" ? $1 * 1024 : $1 }')
}
last_bucket "@wait_ms[$lk]"
# (from its first refusal: at most the whole wait, and more than half of it)
if [[ -z $lkbad && -n $lo ]] && ((waited >= 900 && lo <= waited && 2 * lo * 2 > waited)); then
	ok "nfslocks: per-process grants, the waiter refused and granted after $waited ms (longest wait bucket $bucket ms), server refusals"
else
	bad "nfslocks" "${lkbad}waited ${waited:-?} ms, longest wait bucket '${bucket:-none}'"
fi
rm -rf "$(dirname "$lk")"

# ---- nfslocks on NFSv3 (NLM, a mount with locking): the same wait for a lock a process on
# the server holds is one lock call, its latency the wait (the server answers BLOCKED, then
# grants the lock by its GRANTED callback, or by the client's LOCK again 30 s later)
m3=/mnt/lock3 lk=/mnt/lock3/nfslocks/l.dat lks=/srv/nfs/nfslocks/l.dat
mkdir -p $m3 && mount -t nfs -o vers=3,nosharecache 127.0.0.1:/srv/nfs $m3 && mkdir -p "$(dirname "$lk")" && touch "$lk"
run nfslocks-v3 nfslocks.nfsq '' "wl lockwait $lk $lks 1"
read -r waiter waited < <(sed -n 's/^lockwait: pid \([0-9]*\) waited \([0-9]*\) ms$/\1 \2/p' "$out")
lkbad=
for l in "@granted[$lk, ${waiter:-x}, WRITE]: 1" "@granted[$lk, ${waiter:-x}, UNLOCK]: 1"; do
	grep -qxF -- "$l" "$out" || lkbad+="missing '$l'; "
done
has "^@server_refused\[127\.0\.0\.1:[0-9]+, $lks\]: [1-9]" || lkbad+="no BLOCKED answer on the server; "
last_bucket "@v3_lock_ms[$lk]"
if [[ -z $lkbad && -n $lo ]] && ((waited >= 900 && lo <= waited && 2 * lo * 2 > waited)); then
	ok "nfslocks on NFSv3: the waiter's lock call took $waited ms (longest bucket $bucket ms), the server's BLOCKED answer"
else
	bad "nfslocks on NFSv3" "${lkbad}waited ${waited:-?} ms, longest v3 lock bucket '${bucket:-none}'"
fi
rm -rf "$(dirname "$lk")"; umount $m3

# ---- -f json: every script's output is JSON lines
for s in "$scripts"/*.nfsq; do
	b=$(basename "$s" .nfsq) args=''
	[[ $b == nfsdist || $b == nfstop ]] && continue
	grep -q '\$1' "$s" && args=0
	[[ $b == nfsiostat ]] && args=1s
	run "$b-json" "$b.nfsq" "$args" "wl write $d/j 4 65536" -f json
	if [[ -s $out ]] && jq -c . "$out" > /dev/null 2>&1; then
		ok "$b -f json: $(wc -l < "$out") JSON lines"
	else
		bad "$b -f json" "want JSON lines only"
	fi
done
rm -rf $d

echo "$pass passed, $fail failed"
rm -f "$out"
((fail == 0))

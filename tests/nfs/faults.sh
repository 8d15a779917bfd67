#!/bin/bash
# faults.sh [--kernel 6.1|6.12] NFSQ - the NFS probes under injected faults.
#
# Boots the NFS lab once; inside, each check runs nfsq around one of the lab's fault
# scenarios (tests/lab/fault) and checks that the probes show the fault with the
# right op and error name, and agree with the scenario's own evidence (mountstats).
# Exit: 0 all passed, 1 a check failed, 77 the lab cannot run here.
set -u
suite=${BASH_SOURCE[0]}
source "$(dirname "$(readlink -f "$suite")")/lib.sh"

# netem delay of 50 ms each way: every NFS RPC's rtt is at least 100 ms, and a
# synchronous write waits at least that long
run 'rpc.done /prog == "nfs" && op == "WRITE"/ { @rtt_min = min(rtt); @n = count(); } nfs.write { @lat_min = min(latency); }' \
	'fault latency 50'
rtt=$(value '@rtt_min') n=$(value '@n') lat=$(value '@lat_min')
if grep -q '^evidence: .*avg rtt' "$out" && ((${rtt:-0} >= 100000000 && ${n:-0} >= 4 && ${lat:-0} >= 100000000)); then
	ok "latency 50ms: rpc.done min rtt $((rtt / 1000000)) ms over $n RPCs, nfs.write min latency $((lat / 1000000)) ms"
else
	bad "latency 50ms" "want rtt >= 100 ms and nfs.write latency >= 100 ms"
fi

# 100% loss on a soft mount: READ retransmitted, then a major timeout, EIO to the reader
run 'rpc.retransmit { @re[op] = count(); } rpc.timeout { @to[op] = count(); } rpc.error { @er[op, status] = count(); } nfs.read /error != 0/ { @err[file, error] = count(); }' \
	'fault retrans'
# the op that met the loss (READ, or GETATTR when the client revalidated first): the one
# with retransmits in mountstats; rpc.retransmit and rpc.timeout must match it exactly
read -r op ev evto < <(sed -nE 's/.*mountstats ([A-Z]+): .*timeouts=([0-9]+) \(retransmits=([1-9][0-9]*)\).*/\1 \3 \2/p' "$out" | head -1)
if [[ -n ${op:-} ]] && grep -qxF "@re[$op]: $ev" "$out" && grep -qxF "@to[$op]: $evto" "$out" &&
	grep -qE "^@er\[$op, (ETIMEDOUT|EIO)\]: [1-9]" "$out" && grep -qE '^@err\[retrans.dat, EIO\]: [1-9]' "$out"; then
	ok "retransmits: rpc.retransmit $op = mountstats retransmits ($ev), rpc.timeout $op = mountstats timeouts ($evto), rpc.error $(grep -oE "^@er\[$op, [A-Z]+" "$out" | sed 's/.*, //'), nfs.read EIO"
else
	bad "retransmits" "want @re[OP] = mountstats retransmits of the op that had them (${op:-none}: ${ev:-?}), @to[OP], @er[OP, ETIMEDOUT|EIO], @err[retrans.dat, EIO]"
fi

# server stopped under a soft mount: major timeouts on READ, EIO
# (the op that times out depends on what the client needs first: READ, or a GETATTR)
run 'rpc.timeout { @to[op] = count(); @timeouts = count(); } nfs.read /error != 0/ { @err[file, error] = count(); }' 'fault server-down'
evto=$(grep -o 'all ops: timeouts=[0-9]*' "$out" | head -1 | cut -d= -f2)
if [[ -n $evto ]] && ((evto > 0)) && [[ $(value '@timeouts') == "$evto" ]] &&
	grep -qE '^@err\[server-down.dat, (EIO|ETIMEDOUT)\]: [1-9]' "$out"; then
	ok "server down: rpc.timeout = mountstats timeouts ($evto: $(grep -oE '^@to\[[A-Z]+' "$out" | cut -c5- | tr '\n' ' ')), nfs.read $(grep -oE 'EIO|ETIMEDOUT' "$out" | head -1)"
else
	bad "server down" "want rpc.timeout count = mountstats timeouts (${evto:-?}) and an EIO/ETIMEDOUT read error"
fi

# the export removed under a mount: ESTALE on the file's operations
run 'nfs.read, nfs.open, nfs.getattr, nfs.lookup, nfs.revalidate, nfs.access /error != 0 && error != ECHILD/ { @e[probe, file, error] = count(); }' 'fault stale'
if grep -qE '^@e\[nfs\.[a-z]+, (file|dir|/), ESTALE\]: [1-9]' "$out"; then
	ok "stale: $(grep -oE '^@e\[nfs\.[a-z]+, (file|dir|/), ESTALE\]' "$out" | head -1 | cut -c4-)"
else
	bad "stale" "want an ESTALE on file or dir"
fi

# root squashed: permission denied on create
run 'nfs.create, nfs.open /error != 0/ { @e[probe, error] = count(); } nfsd.op /status != 0/ { @s[op, status] = count(); }' 'fault eacces'
if grep -qE '^@e\[nfs\.(create|open), EACCES\]: [1-9]' "$out"; then
	ok "eacces: $(grep -oE '^@e\[nfs\.(create|open), EACCES\]' "$out" | head -1 | cut -c4-)"
else
	bad "eacces" "want EACCES from nfs.create or nfs.open"
fi

# a full export: ENOSPC reported by fsync (writes are cached), and the server's NOSPC
run 'nfs.fsync, nfs.write /error != 0/ { @e[probe, error] = count(); } nfsd.op /status != 0/ { @s[op, status] = count(); }' 'fault enospc'
if grep -qE '^@e\[nfs\.(fsync|write), ENOSPC\]: [1-9]' "$out" && grep -qE '^@s\[(WRITE|COMMIT), NFS4ERR_NOSPC\]: [1-9]' "$out"; then
	ok "enospc: client $(grep -oE '^@e\[nfs\.(fsync|write), ENOSPC\]' "$out" | head -1 | cut -c4-), server $(grep -oE '^@s\[(WRITE|COMMIT), NFS4ERR_NOSPC\]' "$out" | head -1 | cut -c4-)"
else
	bad "enospc" "want ENOSPC from nfs.fsync/nfs.write and NFS4ERR_NOSPC from nfsd.op"
fi

finish

#!/bin/bash
# demo.sh NFSQ [--kernel 6.1|6.12] - nfsq's main job, end to end: boot the NFS lab (a
# real knfsd server and NFSv3 + NFSv4.2 client in qemu), make known NFS traffic, trace
# it with nfsq's built-in NFS probes, and cross-check with the kernel's own counters.
set -u
here=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)

if [[ ${NFSQ_LAB:-} != 1 ]]; then
	nfsq=$(readlink -f "${1:?usage: demo.sh NFSQ [--kernel K]}"); shift
	echo "demo: booting the NFS lab (first run downloads Debian's kernel package)" >&2
	exec "$here/lab/lab" "$@" -- "$here/demo.sh" "$nfsq"
fi

# ------------------------------------------------------------------ inside the VM
nfsq=$1
PATH=$here/lab:$PATH
cat > /tmp/load.sh <<'EOT'
wl write /mnt/nfs4/demo.dat 10 65536     # 10 x 64 KiB, fsync, over NFSv4.2
wl write /mnt/nfs3/demo.dat 10 65536     # the same over NFSv3
wl dropcaches
wl read /mnt/nfs4/demo.dat               # 640 KiB read back cold
wl create /mnt/nfs3/demo.d 5; wl remove /mnt/nfs3/demo.d 5
EOT
echo "== kernel $(uname -r); NFS mounts:"
grep -E ' nfs4? ' /proc/mounts | awk '{ print "   ", $1, "on", $2, "(" $3 ")" }'
program='
nfs.write, nfs.read      { @bytes[probe, mount] = sum(bytes); @calls[probe, mount] = count(); }
nfs.create, nfs.remove   { @files[probe] = count(); }
rpc.done /prog == "nfs"/ { @rpcs[version, op] = count(); @rtt_us = hist(rtt / 1us); }
nfs.rpc_write            { @write_rpc_bytes = stats(bytes); }
nfsd.op                  { @nfsv4_server_ops[op, status] = count(); }
nfsd.request             { @server_requests[client, version] = count(); }'
ops() { wl ops /mnt/nfs4 WRITE COMMIT READ READ_PLUS OPEN CLOSE | sed 's/^/nfs4 /'
	wl ops /mnt/nfs3 WRITE COMMIT CREATE REMOVE LOOKUP | sed 's/^/nfs3 /'; }
ops > /tmp/ops.before
echo "== nfsq -e '$program' -c 'bash /tmp/load.sh'"
"$nfsq" -e "$program" -c "bash /tmp/load.sh"
rc=$?
echo "== the client's own counters for the same run (/proc/self/mountstats, after - before):"
ops > /tmp/ops.after
paste /tmp/ops.before /tmp/ops.after | awk '{ printf "   %s %-6s ops %3d  bytes sent %7d  received %7d\n", $1, $2, $13 - $3, $16 - $6, $17 - $7 }'
rm -f /mnt/nfs4/demo.dat /mnt/nfs3/demo.dat
exit $rc

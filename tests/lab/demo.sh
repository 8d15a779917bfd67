#!/bin/bash
# nfsq lab demo: boot the lab, generate NFS load, and trace it from inside with
# real NFS probes. Until nfsq's own NFS probes exist this uses Debian's bpftrace
# (installed if missing) on sunrpc/nfs tracepoints and an nfs kprobe.
#   tests/lab/demo.sh [--kernel 5.10|6.1|6.12|7.3]
# Exit: 0 ok, 77 the lab cannot run here (SKIP).
LAB_DIR=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)

if [ "${NFSQ_LAB:-}" != 1 ]; then
    if ! command -v bpftrace >/dev/null; then
        echo "demo: installing bpftrace" >&2
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends bpftrace >&2 ||
            { echo "SKIP: bpftrace could not be installed" >&2; exit 77; }
    fi
    exec "$LAB_DIR/lab" "$@" -- "$LAB_DIR/demo.sh"
fi

# ---------------------------------------------------------------- inside the VM
PATH=$LAB_DIR:$PATH
cat > /tmp/load.sh <<'EOT'
#!/bin/bash
# the traced workload: exactly known NFS traffic on both mounts
wl write /mnt/nfs4/demo.dat 10 65536 fsync      # 10 x 64 KiB, v4.2
wl write /mnt/nfs3/demo.dat 10 65536 fsync      # 10 x 64 KiB, v3
wl dropcaches
wl read /mnt/nfs4/demo.dat                      # 640 KiB read back cold
wl create /mnt/nfs4/demo.d 5; wl remove /mnt/nfs4/demo.d 5
EOT
chmod +x /tmp/load.sh

echo "demo: kernel $(uname -r); NFS mounts:"
grep -E ' nfs4? ' /proc/mounts | awk '{ print "   ", $1, "on", $2, "type", $3 }'
echo "demo: bpftrace $(bpftrace --version | awk '{ print $2 }') on sunrpc:rpc_stats_latency, nfs:nfs_initiate_write, kprobe:nfs_file_write, nfsd:nfsd_write_start"
t0=$(date +%s.%N)
bpftrace -c "/bin/bash /tmp/load.sh" -e '
tracepoint:sunrpc:rpc_stats_latency { @rpc_calls[str(args->progname), args->version, str(args->procname)] = count();
                                      @rtt_us[str(args->procname)] = hist(args->rtt); }  // rtt is in us here
tracepoint:nfs:nfs_initiate_write    { @client_write_rpc_bytes = sum(args->count); }
tracepoint:nfsd:nfsd_write_start     { @server_write_bytes = sum(args->len); }
kprobe:nfs_file_write                { @nfs_file_write_calls[comm] = count(); }
'
rc=$?
echo "demo: bpftrace exited $rc after $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')s (startup included)"
echo "demo: mountstats cross-check (op ops trans timeouts bytes_sent bytes_recv queue_ms rtt_ms exec_ms):"
wl ops /mnt/nfs4 WRITE COMMIT READ READ_PLUS | sed 's/^/    nfs4 /'
wl ops /mnt/nfs3 WRITE COMMIT READ | sed 's/^/    nfs3 /'
rm -f /mnt/nfs4/demo.dat /mnt/nfs3/demo.dat; rmdir /mnt/nfs4/demo.d 2>/dev/null

# nfsq itself, when it is built (informational: the demo's exit code is the lab's, i.e. bpftrace's)
NFSQ=${NFSQ_BIN:-$LAB_DIR/../../build/nfsq}
if [ -x "$NFSQ" ]; then
    echo "demo: $NFSQ on the same workload"
    t0=$(date +%s.%N)
    "$NFSQ" -e 'rpc.done { @rpcs[op] = count(); }' -c "/bin/bash /tmp/load.sh"
    echo "demo: nfsq exited $? after $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')s (startup included)"
    rm -f /mnt/nfs4/demo.dat /mnt/nfs3/demo.dat; rmdir /mnt/nfs4/demo.d 2>/dev/null
fi
exit $rc

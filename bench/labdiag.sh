#!/bin/bash
# bench/labdiag.sh - where nfsq's start-up goes inside the lab (run inside the VM):
#   tests/lab/lab -- bash bench/labdiag.sh          (NFSQ = the nfsq binary, default build/nfsq)
# nfsq -v timings and strace -c / -r of a cached `nfsq -q -c true scripts/nfsdist.nfsq 0`, and
# strace -c of libbpf-tools' nfsdist for comparison.
cd "$(dirname "$0")/.."
N=${NFSQ:-build/nfsq}
export NFSQ_CACHE_DIR=/run/c; mkdir -p $NFSQ_CACHE_DIR
date +%s.%N; $N -q -c true scripts/nfsdist.nfsq 0 >/dev/null; date +%s.%N
echo "== -v nfsdist cached"; $N -v -q -c true scripts/nfsdist.nfsq 0 2>&1 | grep -v '^libbpf: \(elf\|sec\|map\|CO-RE\|struct_ops\)' | cut -c1-160 | head -80
echo "== strace -c nfsq"; strace -f -c -o /tmp/sc.txt $N -q -c true scripts/nfsdist.nfsq 0 >/dev/null 2>&1; head -20 /tmp/sc.txt
echo "== strace -r nfsq (slowest gaps)"; strace -r -o /tmp/st.txt $N -q -c true scripts/nfsdist.nfsq 0 >/dev/null 2>&1; sort -g -r /tmp/st.txt | head -20 | cut -c1-200
echo "== libbpf nfsdist strace -c"; timeout 60 strace -f -c -o /tmp/sc2.txt /usr/sbin/nfsdist 1 1 >/dev/null 2>&1; head -15 /tmp/sc2.txt

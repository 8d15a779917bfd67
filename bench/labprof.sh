#!/bin/bash
# labprof.sh - start-up phases and per-program kernel cost of nfsq in the lab (issue #18, item 1):
#   tests/lab/lab --kernel 6.1 -- bash bench/labprof.sh [NFSQ]
# 1. `nfsq -v` phases and peak RSS for scripts/nfshealth.nfsq, scripts/nfsdist.nfsq and a
#    one-liner: without the cache, then twice with it (the first of those fills it);
# 2. every program of nfshealth.nfsq under fio 4 KiB O_DIRECT randread on /mnt/nfs4 for 5 s:
#    run count and run time from the kernel (kernel.bpf_stats_enabled, bpftool prog show).
here=$(cd "$(dirname "$0")/.." && pwd)
N=$(readlink -f "${1:-$here/build/nfsq}")
S=$here/scripts
cd /tmp || exit 1
echo "== kernel $(uname -r), $N"
phases() { # NAME CACHE ARGS...
	local name=$1 cache=$2 env=()
	shift 2
	[[ $cache == nocache ]] && env=(NFSQ_NO_CACHE=1)
	/usr/bin/time -f "   wall %e s, peak RSS %M KB" env "${env[@]}" "$N" -v -q -c true "$@" 2>&1 >/dev/null |
		grep -E '^nfsq: [0-9.]+ ms|IR |compiled, loaded|wall' | sed "s/^/$name $cache: /"
}
for cache in nocache cached cached; do phases nfshealth $cache "$S/nfshealth.nfsq" 0; done
for cache in nocache cached cached; do phases nfsdist $cache "$S/nfsdist.nfsq" 0; done
for cache in nocache cached cached; do phases oneliner $cache -e 'nfs.read { @[comm] = count(); }'; done
# attaching nfshealth's programs, by kind of attach point (cached run; `nfsq -v` per program)
"$N" -v -q -c true "$S/nfshealth.nfsq" 0 2>&1 >/dev/null | sed -n 's/^nfsq: attached [^ ]* (\([a-z_]*\):.*) in \([0-9.]*\) ms$/\1 \2/p' |
	awk '{ n[$1]++; t[$1] += $2; all += $2 } END { for (k in n) printf "nfshealth attach: %-10s %3d programs %8.1f ms (%.1f ms each)\n", k, n[k], t[k], t[k] / n[k]; printf "nfshealth attach: all %.1f ms\n", all }'

sysctl -qw kernel.bpf_stats_enabled=1
fio --name=lay --filename=/mnt/nfs4/prof.dat --size=64m --rw=write --bs=1m --direct=1 >/dev/null 2>&1
"$N" -q -o /tmp/h.out "$S/nfshealth.nfsq" 0 &
P=$!
for ((i = 0; i < 600; i++)); do grep -q sigmask /proc/$P/fdinfo/* 2>/dev/null && break; sleep 0.1; done
fio --name=rr --filename=/mnt/nfs4/prof.dat --size=64m --rw=randread --bs=4k --direct=1 --runtime=5 \
	--time_based --ioengine=psync >/tmp/fio.out 2>&1
ios=$(grep -o 'issued rwts: total=[0-9]*' /tmp/fio.out | grep -o '[0-9]*$')
echo "randread 4k, 5 s: $ios reads"
for f in /proc/$P/fdinfo/*; do awk '/^prog_id:/ { print $2 }' "$f"; done | sort -un | while read -r id; do
	bpftool prog show id "$id" 2>/dev/null | head -1
done | awk '{ rt = 0; rc = 0; nm = ""; for (i = 1; i <= NF; i++) { if ($i == "run_time_ns") rt = $(i + 1); if ($i == "run_cnt") rc = $(i + 1); if ($i == "name") nm = $(i + 1) } print nm, $2, rt, rc }' |
	sort -k3 -n -r | awk -v ios="$ios" '{ t += $3; c += $4 } $4 > 0 { printf "  %-8s %-15s %7d runs %11d ns %7.0f ns/run %5.2f runs/read\n", $1, $2, $4, $3, $3 / $4, $4 / ios }
		END { printf "  all %d programs: %d runs (%.1f per read), %.0f ns of BPF per read\n", NR, c, c / ios, t / ios }'
kill -INT $P
wait $P
sysctl -qw kernel.bpf_stats_enabled=0

#!/bin/bash
# nfsq lab self-test: boots the lab once and checks, inside, the NFSv3 and
# NFSv4.2 mounts, a write/read-back through each, exact traffic counters, and
# that every fault helper shows its effect. PASS/FAIL per check with timings.
#   tests/lab/selftest.sh [--kernel 5.10|6.1|6.12|7.3]
# Exit: 0 all passed, 1 a check failed, 77 the lab cannot run here (SKIP).
LAB_DIR=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)

if [ "${NFSQ_LAB:-}" != 1 ]; then   # on the host: boot the lab, run myself inside
    t0=$(date +%s.%N)
    NFSQ_LAB_VERBOSE=1 "$LAB_DIR/lab" "$@" -- "$LAB_DIR/selftest.sh"
    rc=$?
    el=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
    case $rc in
    0) echo "selftest: PASS (all checks, ${el}s including boot)" ;;
    77) echo "selftest: SKIP (${el}s)" ;;
    *) echo "selftest: FAIL (rc $rc, ${el}s)" ;;
    esac
    exit $rc
fi

# ---------------------------------------------------------------- inside the VM
PATH=$LAB_DIR:$PATH
pass=0 fail=0
now() { date +%s.%N; }
check() { # NAME CMD...: run CMD, print PASS/FAIL with its time and its output on failure
    local name=$1 t0 out rc el; shift
    t0=$(now)
    out=$("$@" 2>&1); rc=$?
    el=$(awk -v a="$t0" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }')
    if [ $rc = 0 ]; then
        pass=$((pass + 1)); printf 'PASS %-28s (%ss)\n' "$name" "$el"
    else
        fail=$((fail + 1)); printf 'FAIL %-28s (%ss)\n' "$name" "$el"
    fi
    [ -n "$out" ] && echo "$out" | sed 's/^/     /'
    return 0
}

mounted() { # MNT VERS
    local o; o=$(awk -v m="$1" '$2 == m { print $3, $4 }' /proc/mounts)
    echo "$1: $o" | cut -c1-100
    [[ $o == nfs* && ,${o#* }, == *,vers=$2,* ]]
}
roundtrip() { # MNT: 1 MiB of random data written through MNT, read back cold
    local src=/tmp/rt.src f=$1/roundtrip.dat a b
    wl write $src 16 65536 none random
    cp $src $f && sync $f || return 1
    wl dropcaches
    a=$(wl sum $src); b=$(wl sum $f)
    echo "sha256 written $a read back $b"
    rm -f $f
    [ "$a" = "$b" ] && [ -n "$a" ]
}
exact_traffic() { # MNT: 10 x 64 KiB dd conv=fsync -> WRITE bytes >= 655360, 1 COMMIT
    local m=$1 f=$1/exact.dat w0 c0 b0 w1 c1 b1
    read -r _ w0 _ _ b0 _ < <(wl ops $m WRITE); read -r _ c0 _ < <(wl ops $m COMMIT)
    wl write $f 10 65536 fsync
    read -r _ w1 _ _ b1 _ < <(wl ops $m WRITE); read -r _ c1 _ < <(wl ops $m COMMIT)
    echo "10 x 64KiB conv=fsync: WRITE ops +$((w1 - w0)) bytes sent +$((b1 - b0)), COMMIT +$((c1 - c0))"
    rm -f $f
    [ $((b1 - b0)) -ge 655360 ] && [ $((c1 - c0)) -eq 1 ] && [ $((w1 - w0)) -ge 1 ]
}
metadata() { # MNT: create/rename/list/stat/open/remove work and are counted
    local m=$1 d=$1/meta n
    wl create $d 20 && wl rename $d 20 && n=$(ls $d | wc -l) && wl stat $d/r0 50 && wl open $d/r1 50 &&
        wl remove $d 20 || return 1
    echo "20 files created, renamed, listed ($n), stat x50, open x50, removed; ops:" \
        $(wl ops $m CREATE RENAME REMOVE READDIR READDIRPLUS OPEN | awk '$2 > 0 { printf "%s=%s ", $1, $2 }')
    rmdir $d; [ "$n" = 20 ]
}
fio_run() { wl fio "$1" 16m write 1m; }

echo "selftest: kernel $(uname -r), $(nproc) cpus, nfsd $(cat /proc/fs/nfsd/versions)"
check "mount nfsv3"             mounted /mnt/nfs3 3
check "mount nfsv4.2"           mounted /mnt/nfs4 4.2
check "write+read nfsv3"        roundtrip /mnt/nfs3
check "write+read nfsv4.2"      roundtrip /mnt/nfs4
check "exact traffic nfsv4.2"   exact_traffic /mnt/nfs4
check "exact traffic nfsv3"     exact_traffic /mnt/nfs3
check "metadata ops nfsv4.2"    metadata /mnt/nfs4
check "fio nfsv3"               fio_run /mnt/nfs3
for f in latency stale eacces enospc starve retrans server-down; do
    check "fault $f" fault $f
done
echo "selftest: $pass passed, $fail failed"
[ $fail = 0 ]

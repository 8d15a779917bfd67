#!/bin/bash
# run.sh CALLS - the Debian package, built by `./dev package` from this checkout, installed
# with apt-get into a fresh Debian 12 root (debootstrap, minbase) so that its Depends are
# really resolved from the archive, and used there:
#   man -w finds nfsq(8), nfsq-language(7), nfsq-probes(7), a script's (nfsq(8)); --version;
#   nfsq-run has no LLVM among its libraries and runs a program the installed nfsq compiled;
#   every installed script passes --check and starts with #!/usr/bin/nfsq, and one run by its
#   own name on PATH reaches nfsq; bash completion gives probe names, scripts and options;
#   the unit passes systemd-analyze verify (in that root), and its ExecStart, run under the
#   unit's capability bounding set (setpriv) with a script on a real host tracepoint in
#   place of the exporter's, serves /metrics with the exact count of CALLS' getppid calls;
# then in the NFS lab (default kernel) the package is installed in the VM and its nfsq, run
# under the same bounding set, counts the NFS writes of a workload exactly, and a saved
# script run by its command name lists them. lintian is run by `./dev package` (no errors).
# Exit 0 passed, 1 failed, 77 cannot run here (not root, no archive).
# NFSQ_PKG_CACHE: where the debootstrapped root is kept as a tarball (default
# /var/cache/nfsq-lab/bookworm-minbase.tar; debootstrap takes about 2.5 min).
set -u
here=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)
top=$(cd "$here/../.." && pwd)
calls=$(readlink -f "${1:-}")
[[ -x $calls ]] || { echo "usage: run.sh NFSQ_TEST_CALLS (tests/runtime/calls.c, built)" >&2; exit 2; }
[[ $(id -u) == 0 ]] || { echo "SKIP: needs root (chroot, BPF)"; exit 77; }
cache=${NFSQ_PKG_CACHE:-/var/cache/nfsq-lab/bookworm-minbase.tar}
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "PASS $1"; }
bad() { fail=$((fail + 1)); echo "FAIL $1: $2"; }
work=$(mktemp -d /tmp/nfsq-pkg.XXXXXX)
root=$work/root
server=
cleanup() {
	[[ -n $server ]] && kill -INT "$server" 2>/dev/null && wait "$server" 2>/dev/null
	for m in sys/kernel/tracing sys proc dev; do umount -l "$root/$m" 2>/dev/null; done
	rm -rf "$work"
}
trap cleanup EXIT

# ---- the package (lintian inside: no errors)
"$top/dev" package || { echo "FAIL ./dev package"; exit 1; }
deb=$(ls "$top"/build/nfsq_*_amd64.deb | tail -1)
version=$(dpkg-deb -f "$deb" Version)
ok "./dev package: $(basename "$deb"), lintian without errors"

# ---- a fresh Debian 12 root
if [[ ! -s $cache ]]; then
	mkdir -p "$(dirname "$cache")" "$work/boot"
	debootstrap --variant=minbase bookworm "$work/boot" http://deb.debian.org/debian > "$work/debootstrap.log" 2>&1 ||
		{ tail -5 "$work/debootstrap.log"; echo "SKIP: debootstrap failed (no archive?)"; exit 77; }
	tar -C "$work/boot" -cf "$cache.tmp" . && mv "$cache.tmp" "$cache"
	rm -rf "$work/boot"
fi
mkdir -p "$root" && tar -C "$root" -xf "$cache"
cp /etc/resolv.conf "$root/etc/"
mount --bind /dev "$root/dev" && mount -t proc proc "$root/proc" && mount --bind /sys "$root/sys" &&
	mount -t tracefs tracefs "$root/sys/kernel/tracing" || { echo "FAIL mounts in the root"; exit 1; }
cp "$deb" "$root/tmp/"
inroot() { chroot "$root" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 "$@"; }
if inroot apt-get update -q > "$work/apt.log" 2>&1 &&
	inroot env DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
		"/tmp/$(basename "$deb")" man-db bash-completion systemd >> "$work/apt.log" 2>&1; then
	ok "apt-get install ./$(basename "$deb") in a fresh bookworm root: Depends resolved ($(inroot dpkg-query -W -f='${Depends}' nfsq)), Recommends too"
else
	tail -20 "$work/apt.log"; bad "apt-get install" "see above"; exit 1
fi

# ---- man pages, version
pages=$(inroot man -w nfsq nfsq-language nfsq-probes nfsslower.nfsq 2>&1 | tr '\n' ' ')
if [[ $pages == "/usr/share/man/man8/nfsq.8.gz /usr/share/man/man7/nfsq-language.7.gz /usr/share/man/man7/nfsq-probes.7.gz /usr/share/man/man8/nfsq.8.gz " ]] &&
	inroot sh -c 'MANWIDTH=100 man nfsq 2>/dev/null' | grep -q '^EXIT STATUS' &&
	inroot sh -c 'MANWIDTH=100 man nfsq-probes 2>/dev/null' | grep -q 'nfsd\.lock'; then
	ok "man -w: $pages"
else
	bad "man pages" "man -w gives '$pages'"
fi
v=$(inroot nfsq --version)
[[ $v == "nfsq ${version%%-*}" ]] && ok "nfsq --version: $v" || bad "nfsq --version" "'$v', package $version"

# ---- nfsq-run: no LLVM among its libraries; runs what the installed nfsq compiled
cp "$calls" "$root/tmp/calls"
v=$(inroot nfsq-run --version)
deps=$(inroot ldd /usr/bin/nfsq-run | awk '{print $1}' | tr '\n' ' ')
inroot nfsq --compile -o /tmp/calls.run -e 'tracepoint:syscalls:sys_enter_getppid /pid == cpid/ { @n = count(); }' > "$work/compile" 2>&1
out=$(inroot nfsq-run -q -c '/tmp/calls getppid 37' /tmp/calls.run 2>&1)
if [[ $v == "nfsq-run ${version%%-*}" && $deps != *LLVM* && $deps != *llvm* && $out == '@n: 37' ]] &&
	inroot sh -c 'MANWIDTH=100 man nfsq-run 2>/dev/null' | grep -q 'nfsq-run \[options\] FILE'; then
	ok "nfsq-run ($v, libraries: $deps) runs a program the installed nfsq compiled: $out; man nfsq-run"
else
	bad "nfsq-run" "'$v', libraries '$deps', output '$out' $(cat "$work/compile")"
fi

# ---- the saved scripts: #! line, --check, one run by its command name
sbad=
for s in "$root"/usr/share/nfsq/scripts/*.nfsq; do
	n=$(basename "$s"); args=(); grep -q '\$1' "$s" && args=(1)
	[[ $n == nfsiostat.nfsq ]] && args=(1s)
	[[ $(head -1 "$s") == '#!/usr/bin/nfsq' ]] || sbad+="$n: #! line '$(head -1 "$s")'; "
	[[ -x $root/usr/sbin/$n ]] || sbad+="no command /usr/sbin/$n; "
	inroot nfsq --check "/usr/share/nfsq/scripts/$n" "${args[@]}" > "$work/check" 2>&1 || sbad+="$n: $(head -1 "$work/check"); "
done
# rpclat.nfsq by its name: nfsq runs it (on this host without NFS: the probe's module is missing)
out=$(inroot timeout -s INT 5 rpclat.nfsq 2>&1)
grep -qE "rpclat|Attaching|rpc\.done|module 'sunrpc'" <<<"$out" || sbad+="rpclat.nfsq by name: '$(head -2 <<<"$out")'; "
[[ -z $sbad ]] && ok "$(ls "$root"/usr/share/nfsq/scripts/*.nfsq | wc -l) scripts: #!/usr/bin/nfsq, --check, commands on PATH (rpclat.nfsq ran: $(head -1 <<<"$out"))" ||
	bad "saved scripts" "$sbad"

# ---- bash completion
complete_words() { # WORDS...: what completing the last word offers
	inroot bash -c 'source /usr/share/bash-completion/completions/nfsq; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _nfsq; printf "%s\n" "${COMPREPLY[@]}"' _ "$@"
}
cbad=
complete_words nfsq -l nfs.rea | grep -qx nfs.read || cbad+="-l nfs.rea: no nfs.read; "
complete_words nfsq -l nfsd.lo | grep -qx nfsd.lock || cbad+="-l nfsd.lo: no nfsd.lock; "
complete_words nfsq --ser | grep -qx -- --serve || cbad+="--ser: no --serve; "
complete_words nfsq nfssl | grep -qx /usr/share/nfsq/scripts/nfsslower.nfsq || cbad+="nfssl: no nfsslower.nfsq; "
complete_words nfsq -f j | grep -qx json || cbad+="-f j: no json; "
[[ -z $cbad ]] && ok "bash completion: probe names, options, scripts, -f values" || bad "bash completion" "$cbad"

# ---- the exporter unit: verify, then its ExecStart under its bounding set
unit=/lib/systemd/system/nfsq-exporter.service
vout=$(inroot systemd-analyze verify "$unit" 2>&1)
[[ -z $vout ]] && ok "systemd-analyze verify $unit: clean" || bad "systemd-analyze verify" "$vout"
caps=$(sed -n 's/^CapabilityBoundingSet=//p' "$root$unit")
exec_start=$(sed -n 's/^ExecStart=//p' "$root$unit")
port=$((20000 + RANDOM % 20000))
bset=-all$(for c in $caps; do c=${c#CAP_}; printf ',+%s' "${c,,}"; done)
cmd=${exec_start//'${NFSQ_EXPORTER_LISTEN}'/127.0.0.1:$port}
cat > "$root/etc/nfsq/exporter.nfsq" <<EOF
tracepoint:syscalls:sys_enter_getppid /comm == "$(basename "$calls" | cut -c1-15)"/ { @getppid_calls = count(); }
EOF
# shellcheck disable=SC2086
chroot "$root" setpriv --no-new-privs --bounding-set="$bset" -- $cmd > "$work/serve.out" 2>&1 &
server=$!
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/metrics" > /dev/null && break; sleep 0.2; done
"$calls" getppid 37
sleep 0.5
got=$(curl -sf "http://127.0.0.1:$port/metrics" | sed -n 's/^nfsq_getppid_calls_total //p')
if [[ $got == 37 ]]; then
	ok "ExecStart ($cmd) under CapabilityBoundingSet ($caps): /metrics counts 37 of 37 getppid calls"
else
	bad "ExecStart under the bounding set" "/metrics getppid_calls '$got', want 37; $(head -5 "$work/serve.out")"
fi
kill -INT "$server"; wait "$server"; server=

# ---- in the NFS lab: the installed nfsq under the same bounding set traces the mounts
cat > "$work/lab.sh" <<EOF
#!/bin/bash
dpkg -i "$deb" > /tmp/dpkg.log 2>&1 || { tail -5 /tmp/dpkg.log; echo "FAIL dpkg -i in the lab"; exit 1; }
out=\$(setpriv --no-new-privs --bounding-set="$bset" -- /usr/bin/nfsq -q -e 'nfs.write /file == "pkg.dat"/ { @w = count(); @b = sum(bytes); }' -c 'wl write /mnt/nfs3/pkg.dat 10 65536 none' 2>&1)
if grep -qx '@w: 10' <<<"\$out" && grep -qx '@b: 655360' <<<"\$out"; then
	echo "PASS lab \$(uname -r): installed nfsq under the bounding set counts 10 writes, 655360 bytes"
else
	echo "FAIL lab: installed nfsq: \$out"
fi
# without CAP_SYS_ADMIN the modules' BTF cannot be found: nfsq says so, and why
out=\$(setpriv --no-new-privs --bounding-set=-all,+bpf,+perfmon,+sys_resource -- /usr/bin/nfsq -q -e 'nfs.write { @w = count(); }' -c true 2>&1)
if grep -q "module nfs's BTF.*only to CAP_SYS_ADMIN" <<<"\$out"; then
	echo "PASS lab: without CAP_SYS_ADMIN, nfsq names it: \$(head -1 <<<"\$out")"
else
	echo "FAIL lab: without CAP_SYS_ADMIN: \$out"
fi
nfsslower.nfsq 0 > /tmp/slower.out 2>&1 &
p=\$!
for _ in \$(seq 100); do grep -q '^TIME' /tmp/slower.out && break; sleep 0.2; done
wl write /mnt/nfs4/pkg4.dat 4 65536 none
sleep 1; kill -INT \$p; wait \$p
n=\$(grep -c ' W .* pkg4\.dat ' /tmp/slower.out)
if [[ \$n == 4 ]]; then echo "PASS lab: nfsslower.nfsq by its command name lists the 4 writes"; else echo "FAIL lab: nfsslower.nfsq listed \$n writes:"; cat /tmp/slower.out; fi
EOF
chmod +x "$work/lab.sh"
"$top/tests/lab/lab" -- "$work/lab.sh" > "$work/lab.out" 2>&1
lrc=$?
grep -E '^(PASS|FAIL)' "$work/lab.out"
((lrc == 77)) && echo "SKIP lab: cannot run here"
pass=$((pass + $(grep -c '^PASS' "$work/lab.out")))
fail=$((fail + $(grep -c '^FAIL' "$work/lab.out")))
((lrc != 0 && lrc != 77)) && ! grep -q '^FAIL' "$work/lab.out" && { tail -20 "$work/lab.out"; bad "lab" "exit $lrc"; }

echo "$pass passed, $fail failed"
((fail == 0))

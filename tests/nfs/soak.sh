#!/bin/bash
# tests/nfs/soak.sh [--kernel 6.1|6.12] [--seconds S] NFSQ: the soak test, in the NFS lab
# (one boot). For S seconds (default $NFSQ_SOAK_SECONDS or 120; the documented long run
# is 600) mixed fio load runs on the NFSv3 and the NFSv4.2 mount at once:
#   - randrw 4k O_DIRECT (70 % reads), sequential 1 MiB buffered writes with an fsync
#     every 8, random 16 KiB buffered reads, per mount, and a loop of creates, stats,
#     listings and removes per mount;
# with scripts/nfshealth.nfsq tracing it (nfsq -c: the load starts once attached) and
# `nfsq --serve` running scripts/exporter.nfsq, scraped every 5 s. Checks:
#   - RSS flat: in the second half of the load (after start-up and after the maps have
#     all their keys), neither nfsq's VmRSS rises more than 1 MiB above its value half
#     way (samples every 5 s, all printed);
#   - exact totals: per mount and op, the exporter's nfsq_rpc_ops_total (version 3 or 4)
#     over the run equals the op count in /proc/self/mountstats over the same run
#     (NFSv4 lease renewals go through the client-wide RPC client, which mountstats
#     does not show: SEQUENCE/RENEW may only be higher, and are reported); bytes of
#     read(2)/write(2) (nfsq_nfs_bytes_total) = mountstats' normal + direct bytes per
#     mount; bytes nfsd read and wrote = the client's server read/write bytes;
#   - no errors: fio and the metadata loop succeed, no limit bit (the exporter's
#     lost/dropped counters are 0, nfshealth reports no lost data on stderr), both
#     nfsq exit 0 (the exporter after SIGTERM), nfshealth gives its report.
# Exit: 0 all passed, 1 a check failed, 77 the lab cannot run here.
HERE=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)
SRC=$(cd "$HERE/../.." && pwd)
secs=${NFSQ_SOAK_SECONDS:-120}

if [ "${NFSQ_LAB:-}" != 1 ]; then # on the host: boot the lab, run myself inside
	args=()
	while [[ $# -gt 1 ]]; do
		case $1 in
		--seconds) secs=$2 ;;
		*) args+=("$1" "$2") ;;
		esac
		shift 2
	done
	nfsq=$(readlink -f "${1:?usage: soak.sh [--kernel K] [--seconds S] NFSQ}")
	exec "$SRC/tests/lab/lab" "${args[@]}" --timeout $((secs * 2 + 600)) -- \
		"$HERE/soak.sh" --seconds "$secs" "$nfsq"
fi

# ---------------------------------------------------------------- inside the VM
PATH=$SRC/tests/lab:$PATH
# a sanitizer build (CI) holds freed memory in ASan's quarantine, which would read as
# growth: no quarantine here (the other suites keep it); a release build ignores this
export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=0:thread_local_quarantine_size_kb=0
if [[ $1 == --load ]]; then # --load SECONDS DIR: the -c command of nfshealth
	secs=$2 tmp=$3
	meta() { # meta MOUNT: creates, stats, listings, removes until the time is up
		local d=$1/soak.meta.${1##*/} end=$(($(date +%s) + secs)) n=0
		while (($(date +%s) < end)); do
			wl create "$d" 20 && wl stat "$d/f0" 5 && wl ls "$d" >/dev/null && wl remove "$d" 20 || return 1
			n=$((n + 1))
		done
		echo "$n"
	}
	pids=()
	for m in /mnt/nfs3 /mnt/nfs4; do
		mkdir -p "$m/soak.${m##*/}" # both mounts may export one directory
		fio --directory="$m/soak.${m##*/}" --time_based --runtime="$secs" --output-format=json \
			--ioengine=psync --size=24m \
			--name=randrw --rw=randrw --rwmixread=70 --bs=4k --direct=1 \
			--name=seqwrite --rw=write --bs=1m --fsync=8 \
			--name=cachedread --rw=randread --bs=16k >"$tmp/fio.${m##*/}" 2>&1 &
		pids+=($!)
		meta "$m" >"$tmp/meta.${m##*/}" 2>&1 &
		pids+=($!)
	done
	st=0
	for p in "${pids[@]}"; do wait "$p" || st=1; done
	sync
	exit $st
fi

secs=$2 nfsq=$3
tmp=$(mktemp -d /tmp/soak.XXXXXX)
source "$SRC/tests/lab/checks.sh"
rss() { local v; v=$(awk '/^VmRSS:/ { print $2 }' "/proc/$1/status" 2>/dev/null); echo "${v:--}"; }
scrape() { curl -s --max-time 20 http://127.0.0.1:9464/metrics; }
# metric FILE NAME LABEL=VALUE...: the sum of the series of NAME carrying those labels
metric() {
	local f=$1 name=$2; shift 2
	awk -v name="$name" -v want="$*" '
		BEGIN { n = split(want, w, " ") }
		$1 ~ "^" name "[{ ]" || $1 == name {
			for (i = 1; i <= n; i++) {
				split(w[i], kv, "=")
				if (index($0, kv[1] "=\"" kv[2] "\"") == 0) next
			}
			s += $NF
		}
		END { printf "%.0f\n", s }' "$f"
}
dev_of() { awk -v m="$1" '$1 == "device" && $5 == m { print $2 }' /proc/self/mountstats; }
bytes_of() { # normal+direct read, normal+direct write, server read, server write
	awk -v m="$1" '$1 == "device" { on = ($5 == m) } on && $1 == "bytes:" { printf "%.0f %.0f %.0f %.0f\n", $2 + $4, $3 + $5, $6, $7 }' \
		/proc/self/mountstats
}
echo "soak: ${secs} s on $(uname -r)"

# ---- the exporter, then the baseline ----
"$nfsq" --serve 127.0.0.1:9464 "$SRC/scripts/exporter.nfsq" >"$tmp/exp.out" 2>"$tmp/exp.err" &
exp=$!
for _ in $(seq 900); do grep -q '^Serving metrics' "$tmp/exp.err" && break; sleep 0.2; done
grep -q '^Serving metrics' "$tmp/exp.err" || { bad "exporter did not start: $(cat "$tmp/exp.err")"; exit 1; }
ok "exporter serving (pid $exp)"
for m in nfs3 nfs4; do
	wl ops /mnt/$m >"$tmp/ops0.$m"
	bytes_of /mnt/$m >"$tmp/bytes0.$m"
done
scrape >"$tmp/scrape0"

# ---- nfshealth with the load as its -c command; RSS and scrapes every 5 s ----
"$nfsq" -c "$HERE/soak.sh --load $secs $tmp" "$SRC/scripts/nfshealth.nfsq" 0 \
	>"$tmp/health.out" 2>"$tmp/health.err" &
health=$!
: >"$tmp/rss"
while kill -0 "$health" 2>/dev/null; do
	sleep 5
	s0=$(date +%s%N)
	scrape >"$tmp/scrape" || echo "scrape failed" >>"$tmp/scrape.errors"
	echo "$(el) $(rss $health) $(rss $exp) $((($(date +%s%N) - s0) / 1000000))" >>"$tmp/rss"
done
wait "$health"
expect "nfshealth (-c load) exit status" "$?" 0
# the totals once the clients' counters have settled (two reads 1 s apart agree; 30 s at
# most), not after a fixed second that a slow VM may need more than
for _ in $(seq 30); do
	for m in nfs3 nfs4; do
		wl ops /mnt/$m >"$tmp/ops1.$m"
		bytes_of /mnt/$m >"$tmp/bytes1.$m"
	done
	cat "$tmp"/ops1.* "$tmp"/bytes1.* >"$tmp/settled.now"
	cmp -s "$tmp/settled.now" "$tmp/settled.last" 2>/dev/null && break
	mv "$tmp/settled.now" "$tmp/settled.last"
	sleep 1
done
scrape >"$tmp/scrape1"

# ---- the load ran without errors ----
for m in nfs3 nfs4; do
	if jq -e '.jobs | length == 3' "$tmp/fio.$m" >/dev/null 2>&1; then
		ok "fio on /mnt/$m: $(jq -r '[.jobs[] | "\(.jobname) \(.read.io_bytes + .write.io_bytes) B, \(.error) errors"] | join("; ")' "$tmp/fio.$m")"
		expect "fio errors on /mnt/$m" "$(jq '[.jobs[].error] | add' "$tmp/fio.$m")" 0
	else
		bad "fio on /mnt/$m: $(tail -5 "$tmp/fio.$m")"
	fi
	n=$(cat "$tmp/meta.$m")
	[[ $n =~ ^[0-9]+$ ]] && ((n > 0)) && ok "metadata loop on /mnt/$m: $n rounds of 20 creates, 5 stats, ls, 20 removes" ||
		bad "metadata loop on /mnt/$m: $n"
done
[[ ! -s $tmp/scrape.errors ]] && ok "every scrape answered ($(wc -l <"$tmp/rss") scrapes)" ||
	bad "scrapes failed: $(wc -l <"$tmp/scrape.errors")"

# ---- RSS flat ----
echo "     samples (s, nfshealth RSS KiB, exporter RSS KiB, scrape ms):"
awk '{ printf "%s%s", (NR % 6 == 1 ? "       " : "  |  "), $0 } NR % 6 == 0 { print "" } END { print "" }' "$tmp/rss"
# the samples taken while the load ran; the second half must not grow
awk '$2 != "-"' "$tmp/rss" >"$tmp/rss.load"
n=$(wc -l <"$tmp/rss.load")
read -r t0s h0 e0 _ < <(sed -n "$((n / 2 + 1))p" "$tmp/rss.load")
read -r _ h1 e1 < <(awk -v from=$((n / 2 + 1)) 'NR >= from { if ($2 > h) h = $2; if ($3 > e) e = $3 } END { print "max", h, e }' "$tmp/rss.load")
for p in "nfshealth $h0 $h1" "exporter $e0 $e1"; do
	read -r name a b <<<"$p"
	if [[ $a =~ ^[0-9]+$ && $b =~ ^[0-9]+$ ]] && ((b - a <= 1024)); then
		ok "$name RSS flat: $a KiB at $t0s s (half way), at most $b KiB after it (+$((b - a)) KiB)"
	else
		bad "$name RSS grew in the second half of the load: $a KiB at $t0s s, up to $b KiB after it"
	fi
done

# ---- exact totals ----
for m in nfs3 nfs4; do
	v=${m#nfs}
	while read -r op n; do
		got=$(($(metric "$tmp/scrape1" nfsq_rpc_ops_total prog=nfs version=$v op=$op) -
			$(metric "$tmp/scrape0" nfsq_rpc_ops_total prog=nfs version=$v op=$op)))
		printf '%s %s %s\n' "$op" "$n" "$got"
	done < <(join "$tmp/ops0.$m" "$tmp/ops1.$m" | awk '{ print $1, $11 - $2 }') >"$tmp/cmp.$m"
	# ops the exporter saw that mountstats does not list
	grep -o "nfsq_rpc_ops_total{[^}]*version=\"$v\"[^}]*}" "$tmp/scrape1" | grep 'prog="nfs"' |
		sed 's/.*op="\([^"]*\)".*/\1/' | sort -u | while read -r op; do
		grep -q "^$op " "$tmp/cmp.$m" || echo "$op 0 $(($(metric "$tmp/scrape1" nfsq_rpc_ops_total prog=nfs version=$v op=$op) -
			$(metric "$tmp/scrape0" nfsq_rpc_ops_total prog=nfs version=$v op=$op)))"
	done >>"$tmp/cmp.$m"
	same=$(awk '$2 == $3 && $2 > 0 { printf "%s %d, ", $1, $2 }' "$tmp/cmp.$m")
	lease=$(awk '$3 > $2 && ($1 == "SEQUENCE" || $1 == "RENEW") { printf "%s +%d, ", $1, $3 - $2 }' "$tmp/cmp.$m")
	diff=$(awk '$2 != $3 && !($3 > $2 && ($1 == "SEQUENCE" || $1 == "RENEW")) { printf "%s mountstats %d nfsq %d, ", $1, $2, $3 }' "$tmp/cmp.$m")
	total=$(awk '{ s += $2 } END { print s + 0 }' "$tmp/cmp.$m")
	if [[ -z $diff ]] && ((total > 0)); then
		ok "v$v rpc ops = mountstats, $total RPCs: ${same%, }${lease:+ (lease renewals not in mountstats: ${lease%, })}"
	else
		bad "v$v rpc ops differ from mountstats: ${diff%, } (equal: ${same%, })"
	fi
	dev=$(dev_of /mnt/$m)
	read -r r0 w0 sr0 sw0 <"$tmp/bytes0.$m"
	read -r r1 w1 sr1 sw1 <"$tmp/bytes1.$m"
	for p in "nfs.read $((r1 - r0))" "nfs.write $((w1 - w0))"; do
		read -r probe want <<<"$p"
		got=$(($(metric "$tmp/scrape1" nfsq_nfs_bytes_total probe=$probe mount=$dev) -
			$(metric "$tmp/scrape0" nfsq_nfs_bytes_total probe=$probe mount=$dev)))
		expect "v$v $probe bytes (mountstats normal + direct)" "$got" "$want"
	done
	srv_r=$((${srv_r:-0} + sr1 - sr0)) srv_w=$((${srv_w:-0} + sw1 - sw0))
done
for p in "nfsd.read $srv_r" "nfsd.write $srv_w"; do
	read -r probe want <<<"$p"
	got=$(($(metric "$tmp/scrape1" nfsq_nfsd_bytes_total probe=$probe) - $(metric "$tmp/scrape0" nfsq_nfsd_bytes_total probe=$probe)))
	expect "$probe bytes (the clients' server read/write bytes)" "$got" "$want"
done

# ---- nothing lost, clean exits ----
for c in lost_events dropped_updates dropped_starts; do
	expect "nfsq_exporter_${c}_total" "$(metric "$tmp/scrape1" "nfsq_exporter_${c}_total")" 0
done
grep -q '^verdict: ' "$tmp/health.out" && ok "nfshealth report: $(grep '^verdict: ' "$tmp/health.out" | head -1)" ||
	bad "nfshealth gave no verdict: $(tail -5 "$tmp/health.out")"
sed 's/^/     | /' "$tmp/health.out" | grep -v '^     | *$' | head -20
grep -Ei 'lost|dropped|cut|full|error' "$tmp/health.err" && bad "nfshealth reported lost data or errors (above)" ||
	ok "nfshealth stderr: $(tr '\n' ' ' <"$tmp/health.err")"
kill -TERM "$exp"
wait "$exp"
expect "exporter exit status after SIGTERM" "$?" 0
grep -Ei 'lost|dropped|cut|full|error' "$tmp/exp.err" && bad "the exporter reported lost data or errors (above)"
rm -rf /mnt/nfs3/soak.nfs3 /mnt/nfs4/soak.nfs4
echo "soak: $fails failure(s) in $(el) s"
((fails == 0))

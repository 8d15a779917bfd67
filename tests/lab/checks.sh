# checks.sh - sourced by lab suites that run inside the VM (tests/nfs/soak.sh,
# tests/serve/e2e.sh): timed check lines and a failure count.
#   ok MSG | bad MSG         "[  12.3 s] ok   MSG" / "... FAIL MSG" (bad counts a failure)
#   expect WHAT GOT WANT     ok or bad, "WHAT = GOT[, want WANT]"
#   el                       seconds since this file was sourced
fails=0
t0=$(date +%s.%N)
el() { awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%5.1f", b - a }'; }
ok() { echo "[$(el) s] ok   $*"; }
bad() { echo "[$(el) s] FAIL $*"; fails=$((fails + 1)); }
expect() { if [[ $2 == "$3" ]]; then ok "$1 = $2"; else bad "$1 = $2, want $3"; fi; }

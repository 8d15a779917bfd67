#!/bin/sh
# run.sh NFSQ CALLS CASE.nfsq [--update]
# Runs one kernel test case. Header lines of the case (at the top):
#   // args: nfsq options, e.g. -c '@CALLS@ getppid 100000' -f json
#   // env: VAR=value ...   environment for nfsq
#   // exit: N             expected exit status (default 0)
#   // wrap: CMD ...       run nfsq under CMD (e.g. setpriv to drop root)
#   // signal: SIG MS      send SIG to nfsq MS milliseconds after it is ready (probes
#                          attached, signalfd open) and the @PID@ helper has finished
# Substitutions in args: @CALLS@ the calls helper, @OUT@ a temporary output file
# (its content is appended to stdout), @PID@ the pid of `calls wait-getppid GO 777`
# started in the background: it makes its 777 calls once nfsq is ready (GO is a file
# this script creates then), however long nfsq takes to start on a loaded machine, and
# exits when GO is removed: at once without a signal: line (nfsq -p follows it), after
# nfsq has exited with one (so that the signal is what stops nfsq).
# Expected stdout: CASE.out; when CASE.err exists, stderr must begin with its lines.
# With NFSQ_RUN set (the nfsq-run binary), the case is compiled first (nfsq --compile,
# with the case's env:) and the compiled file run by nfsq-run with the case's args:
# the output must be the same (a script that does not compile: its messages, no run);
# nfsq-run runs it as on another kernel build (its kernel facts resolved and patched).
# Exit 77 (skip) when not root.
set -u
nfsq=$1 calls=$2 case=$3 update=${4:-}
base=${case%.nfsq}
if [ "$(id -u)" != 0 ]; then
	echo "SKIP: $(basename "$base"): kernel tests load BPF programs and need root" >&2
	exit 77
fi
tmp=$(mktemp -d) || exit 1
bgpid=
trap 'if [ -n "$bgpid" ]; then kill "$bgpid" 2>/dev/null; fi; rm -rf "$tmp"' EXIT
# ready PID: waits (60 s at most) until nfsq has its signalfd (probes attached; from then
# on SIGINT stops it cleanly) or has exited
ready() {
	i=0
	while [ $i -lt 600 ] && [ -d /proc/"$1" ]; do
		grep -qs '^sigmask:' /proc/"$1"/fdinfo/* && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}
args=$(sed -n 's,^// args: ,,p' "$case" | head -1)
envs=$(sed -n 's,^// env: ,,p' "$case" | head -1)
want_exit=$(sed -n 's,^// exit: ,,p' "$case" | head -1)
want_exit=${want_exit:-0}
wrap=$(sed -n 's,^// wrap: ,,p' "$case" | head -1)
sig=$(sed -n 's,^// signal: ,,p' "$case" | head -1)
case "$args" in *@PID@*)
	"$calls" wait-getppid "$tmp/go" 777 &
	bgpid=$!
	args=$(printf '%s' "$args" | sed "s,@PID@,$bgpid,g");;
esac
args=$(printf '%s' "$args" | sed -e "s,@CALLS@,$calls,g" -e "s,@OUT@,$tmp/out,g")
# from the case's directory, so that messages name the script as NAME.nfsq
cd "$(dirname "$case")" || exit 1
script=$(basename "$case")
if [ -n "${NFSQ_RUN:-}" ]; then
	chmod 755 "$tmp" && mkdir -m 777 "$tmp/c" # (wrap: another user may compile)
	eval "$wrap env $envs \"$nfsq\" --compile -o \"$tmp/c/prog\" \"$script\"" 2>"$tmp/compile.err"
	crc=$?
	# a script that does not compile: its messages and exit status in place of the run
	{ printf "#!/bin/sh\ncat >&2 <<'NFSQ_COMPILE_ERR'\n"; cat "$tmp/compile.err"
	  printf "NFSQ_COMPILE_ERR\nexit %s\n" "$crc"; } >"$tmp/failed"
	chmod 755 "$tmp/failed"
	if [ "$crc" = 0 ]; then nfsq=$NFSQ_RUN script=$tmp/c/prog; else nfsq=$tmp/failed; fi
	# as on another kernel build: the kernel facts are resolved again and patched at load
	envs="$envs NFSQ_TEST_KERNEL_BUILD=another"
fi
if [ -n "$sig" ] || [ -n "$bgpid" ]; then
	eval "exec $wrap env $envs \"$nfsq\" -q $args \"$script\"" >"$tmp/stdout" 2>"$tmp/stderr" &
	pid=$!
	ready "$pid"
	: >"$tmp/go"
	i=0
	while [ -n "$bgpid" ] && [ ! -e "$tmp/go.done" ] && [ $i -lt 600 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	[ -z "$sig" ] && rm -f "$tmp/go"
	if [ -n "$sig" ]; then
		set -- $sig
		sleep "$(echo "$2" | awk '{print $1 / 1000}')"
		kill -s "$1" "$pid"
	fi
	wait "$pid"
	rc=$?
	rm -f "$tmp/go"
	[ -n "$bgpid" ] && wait "$bgpid"
else
	eval "$wrap env $envs \"$nfsq\" -q $args \"$script\"" >"$tmp/stdout" 2>"$tmp/stderr"
	rc=$?
fi
[ -f "$tmp/out" ] && cat "$tmp/out" >>"$tmp/stdout"
if [ "$update" = --update ]; then
	cp "$tmp/stdout" "$base.out"
fi
fail=0
if [ "$rc" != "$want_exit" ]; then
	echo "FAIL: exit status $rc, expected $want_exit" >&2
	fail=1
fi
if ! diff -u "$base.out" "$tmp/stdout" >&2; then
	echo "FAIL: stdout differs from $base.out" >&2
	fail=1
fi
if [ -f "$base.err" ]; then
	n=$(wc -l <"$base.err")
	head -n "$n" "$tmp/stderr" >"$tmp/stderr.head"
	if ! diff -u "$base.err" "$tmp/stderr.head" >&2; then
		echo "FAIL: stderr does not begin with $base.err" >&2
		fail=1
	fi
fi
if [ "$fail" != 0 ]; then
	echo "--- stderr:" >&2
	cat "$tmp/stderr" >&2
fi
exit $fail

#!/bin/sh
# run.sh NFSQ CALLS CASE.nfsq [--update]
# Runs one kernel test case. Header lines of the case (at the top):
#   // args: nfsq options, e.g. -c '@CALLS@ getppid 100000' -f json
#   // env: VAR=value ...   environment for nfsq
#   // exit: N             expected exit status (default 0)
#   // wrap: CMD ...       run nfsq under CMD (e.g. setpriv to drop root)
#   // signal: SIG MS      send SIG to nfsq after MS milliseconds
# Substitutions in args: @CALLS@ the calls helper, @OUT@ a temporary output file
# (its content is appended to stdout), @PID@ the pid of `calls delay-getppid 500 777`
# started in the background. Expected stdout: CASE.out; when CASE.err exists, stderr
# must begin with its lines. Exit 77 (skip) when not root.
set -u
nfsq=$1 calls=$2 case=$3 update=${4:-}
base=${case%.nfsq}
if [ "$(id -u)" != 0 ]; then
	echo "SKIP: $(basename "$base"): kernel tests load BPF programs and need root" >&2
	exit 77
fi
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
args=$(sed -n 's,^// args: ,,p' "$case" | head -1)
envs=$(sed -n 's,^// env: ,,p' "$case" | head -1)
want_exit=$(sed -n 's,^// exit: ,,p' "$case" | head -1)
want_exit=${want_exit:-0}
wrap=$(sed -n 's,^// wrap: ,,p' "$case" | head -1)
sig=$(sed -n 's,^// signal: ,,p' "$case" | head -1)
bgpid=
case "$args" in *@PID@*)
	"$calls" delay-getppid 500 777 &
	bgpid=$!
	args=$(printf '%s' "$args" | sed "s,@PID@,$bgpid,g");;
esac
args=$(printf '%s' "$args" | sed -e "s,@CALLS@,$calls,g" -e "s,@OUT@,$tmp/out,g")
# from the case's directory, so that messages name the script as NAME.nfsq
cd "$(dirname "$case")" || exit 1
if [ -n "$sig" ]; then
	set -- $sig
	eval "exec $wrap env $envs \"$nfsq\" -q $args \"$(basename "$case")\"" >"$tmp/stdout" 2>"$tmp/stderr" &
	pid=$!
	sleep "$(echo "$2" | awk '{print $1 / 1000}')"
	kill -s "$1" "$pid"
	wait "$pid"
	rc=$?
else
	eval "$wrap env $envs \"$nfsq\" -q $args \"$(basename "$case")\"" >"$tmp/stdout" 2>"$tmp/stderr"
	rc=$?
fi
[ -n "$bgpid" ] && wait "$bgpid"
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

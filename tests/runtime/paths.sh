#!/bin/bash
# tests/runtime/paths.sh NFSQ: the path walk the nfs.* and nfsd.* `path` fields use
# (READ_PATH), on this kernel through the hidden probe test.exec (the path of each program
# executed): a program on a tmpfs mounted below /tmp and through a bind mount (mounts
# crossed), a path longer than the field and one deeper than the walk (cut: "..." before the
# end of the path, counted), and the field as a map key in -f json.
set -u
nfsq=$1
[[ $(id -u) == 0 ]] || { echo "SKIP: needs root"; exit 77; }
tmp=$(mktemp -d /tmp/nfsq-paths.XXXXXX)
trap 'umount -l "$tmp/bind" "$tmp/mnt" 2>/dev/null; rm -rf "$tmp"' EXIT
fails=0
expect() { # expect DESC GOT WANT
	if [[ $2 == "$3" ]]; then echo "ok   $1"; else echo "FAIL $1: got '$2', want '$3'"; fails=$((fails + 1)); fi
}
mkdir -p "$tmp/mnt" "$tmp/bind"
mount -t tmpfs nfsq-paths "$tmp/mnt" || { echo "SKIP: cannot mount a tmpfs"; exit 77; }
mkdir -p "$tmp/mnt/a/b"
cp /usr/bin/true "$tmp/mnt/a/b/prog"
mount --bind "$tmp/mnt/a" "$tmp/bind"
long=$tmp/mnt/$(printf 'd%.0s' {1..60})/$(printf 'e%.0s' {1..60})/$(printf 'f%.0s' {1..60})/$(printf 'g%.0s' {1..60})
mkdir -p "$long" && cp /usr/bin/true "$long/prog"
deep=$tmp/mnt$(printf '/x%.0s' {1..60})
mkdir -p "$deep" && cp /usr/bin/true "$deep/prog"

run() { # run FORMAT: the paths of the programs executed under $tmp, counted
	"$nfsq" -q -f "$1" -e 'test.exec /pid == cpid || comm == "prog"/ { @[path] = count(); }' \
		-c "sh -c '$tmp/mnt/a/b/prog; $tmp/bind/b/prog; $tmp/bind/b/prog; $long/prog; $deep/prog'"
}
run text >"$tmp/out" 2>"$tmp/err"
expect "tmpfs mount crossed" "$(grep -c "^@\[$tmp/mnt/a/b/prog\]: 1$" "$tmp/out")" 1
expect "bind mount: the path through it" "$(grep -c "^@\[$tmp/bind/b/prog\]: 2$" "$tmp/out")" 1
# the end of the long path (255 bytes at most: 240 and "...")
want=${long}/prog
want=...${want: -$((${#want} > 240 ? 237 : ${#want}))}
cutlong=$(grep -F "/gggg" "$tmp/out" | sed 's/^@\[\(.*\)\]: 1$/\1/')
expect "long path: cut at the front" "${cutlong:0:3}" "..."
expect "long path: ends with the file" "${cutlong: -5}" "/prog"
[[ ${#cutlong} -le 255 && $want == *"${cutlong:3}" ]] || { echo "FAIL long path: '$cutlong' is not the end of '$long/prog'"; fails=$((fails + 1)); }
# the deep one: the walk (48 steps) ends inside the x's
expect "deep path: cut at the front" "$(grep -c '^@\[\.\.\.\(/x\)*/prog\]: 1$' "$tmp/out")" 1
expect "cut paths counted" "$(grep -o '[0-9]* strings cut' "$tmp/err")" "2 strings cut"
run json >"$tmp/json" 2>/dev/null
expect "json: the path as a key" "$(grep -o "{\"key\":\[\"$tmp/bind/b/prog\"\],\"value\":2}" "$tmp/json")" \
	"{\"key\":[\"$tmp/bind/b/prog\"],\"value\":2}"
[[ $fails == 0 && -z ${VERBOSE:-} ]] || { echo "--- output:"; cat "$tmp/out" "$tmp/err"; }
exit $((fails > 0))

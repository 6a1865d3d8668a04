#!/bin/bash
# cenctl.sh - the admin CLI as a person uses it.
#
# Without a server: every command has --help; usage errors exit 2 and are
# caught before anything is sent; an endpoint that refuses the connection
# fails fast with "cenctl: HOST:PORT: connection refused" and exit 1; a
# list of endpoints is tried in order.
#
# With a server (when the build has a cend binary): a one-node cluster on
# loopback takes examples/hybrid.yaml with `apply`, the model commands
# create, update, show, list and delete objects, route list shows the
# isolation the route maps write, and a saved snapshot restores offline
# into a new data directory that serves the same state.
set -euo pipefail
: "${CEND_BUILD_DIR:?}" "${CEND_SOURCE_DIR:?}"
cenctl=$CEND_BUILD_DIR/cenctl
cend=$CEND_BUILD_DIR/cend
topo=$CEND_SOURCE_DIR/examples/hybrid.yaml
work=$(mktemp -d)
pids=()
cleanup()
{
	local p
	for p in "${pids[@]}"; do
		kill "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
	rm -rf "$work"
}
trap cleanup EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }

# expect CODE CMD...: runs CMD, checks its exit code; stdout in $work/out,
# stderr in $work/err.
expect()
{
	local want=$1 rc=0
	shift
	"$@" >"$work/out" 2>"$work/err" || rc=$?
	[ "$rc" = "$want" ] ||
		fail "$* exited $rc, expected $want: $(cat "$work/err")"
}

# ---- no server ------------------------------------------------------------
export CENCTL_ENDPOINTS=127.0.0.1:1

expect 0 "$cenctl" --help
grep -q "member list" "$work/out" || fail "--help lists no member commands"
for noun in member endpoint leader snapshot cen region route-table \
	static-route physical-connection attachment route-map \
	bandwidth-package health-check route fib; do
	expect 0 "$cenctl" "$noun" --help
	grep -q "usage: cenctl $noun" "$work/out" ||
		grep -q "cenctl $noun " "$work/out" ||
		fail "$noun --help: $(cat "$work/out")"
done
for cmd in "member add" "endpoint status" "leader transfer" \
	"snapshot save" "snapshot restore" "attachment create" \
	"route-map delete" "static-route show" "route list" "fib show" \
	"apply" "watch" "health-check set" "simulate"; do
	# shellcheck disable=SC2086
	expect 0 "$cenctl" $cmd --help
	grep -q "usage: cenctl $cmd" "$work/out" || fail "$cmd --help"
done

# a refused endpoint fails fast, named
start=$(date +%s%N)
expect 1 "$cenctl" --endpoints 127.0.0.1:1 endpoint status
[ "$(cat "$work/err")" = "cenctl: 127.0.0.1:1: connection refused" ] ||
	fail "endpoint status: $(cat "$work/err")"
elapsed=$((($(date +%s%N) - start) / 1000000))
[ "$elapsed" -lt 2000 ] || fail "a refused connection took ${elapsed} ms"
# $CENCTL_ENDPOINTS is the default, and every endpoint is tried in order
expect 1 "$cenctl" member list
grep -qx "cenctl: 127.0.0.1:1: connection refused" "$work/err" ||
	fail "member list: $(cat "$work/err")"
expect 1 "$cenctl" --endpoints 127.0.0.1:1,127.0.0.1:2 attachment list
grep -q "127.0.0.1:1: connection refused; 127.0.0.1:2: connection refused" \
	"$work/err" || fail "failover: $(cat "$work/err")"
expect 1 "$cenctl" -w json --endpoints 127.0.0.1:1 endpoint status
[ "$(cat "$work/out")" = "[]" ] || fail "json status: $(cat "$work/out")"
# global flags may follow the command
expect 1 "$cenctl" member list --endpoints 127.0.0.1:3
grep -q "127.0.0.1:3" "$work/err" || fail "--endpoints after the command"

# usage errors: exit 2, nothing sent (the endpoint would refuse: exit 1)
expect 2 "$cenctl" frobnicate
expect 2 "$cenctl" -w yaml member list
expect 2 "$cenctl" --timeout 0 member list
expect 2 "$cenctl" member
expect 2 "$cenctl" member add
expect 2 "$cenctl" member add 4
expect 2 "$cenctl" member add x --raft-addr 127.0.0.1:7201
expect 2 "$cenctl" attachment create v1 --type XYZ --region r
grep -q -- "--type XYZ: expected VPC, VBR, VPN or CCN" "$work/err" ||
	fail "bad --type: $(cat "$work/err")"
expect 2 "$cenctl" attachment create v1 --region r
expect 2 "$cenctl" attachment update v1 --vlan 5000
grep -q "1..2999" "$work/err" || fail "bad --vlan: $(cat "$work/err")"
expect 2 "$cenctl" attachment update v1
expect 2 "$cenctl" route-map create --region r --direction Sideways \
	--priority 1
expect 2 "$cenctl" route-map delete --region r --direction RegionIn
expect 2 "$cenctl" static-route create --route-table t --prefix 10.0.0.1/8 \
	--blackhole
expect 2 "$cenctl" route list --longer
expect 2 "$cenctl" route list --prefix nonsense
expect 2 "$cenctl" watch
expect 2 "$cenctl" watch everything
expect 2 "$cenctl" health-check set vbr-1
expect 2 "$cenctl" snapshot restore "$work/x" # no --data-dir
expect 2 "$cenctl" apply

# files are checked before anything is sent
sed -e 's/vlan: 101/vlan: abc/' "$topo" >"$work/bad.yaml"
expect 1 "$cenctl" apply -f "$work/bad.yaml"
grep -q "line 53: .*vlan: expected an integer 1..2999" "$work/err" ||
	fail "bad vlan: $(cat "$work/err")"
sed -e 's/^    vswitch_cidrs: \[10.2.0.0\/24\]/&\n    colour: blue/' \
	"$topo" >"$work/bad2.yaml"
expect 1 "$cenctl" attachment create -f "$work/bad2.yaml"
grep -q "line 41: .*unknown field 'colour'" "$work/err" ||
	fail "unknown field: $(cat "$work/err")"
: >"$work/empty.yaml"
expect 1 "$cenctl" apply -f "$work/empty.yaml"
grep -q "would delete everything" "$work/err" || fail "empty apply"
expect 1 "$cenctl" apply -f "$work/nonexistent.yaml"
head -c 100 /dev/zero >"$work/zero.snap"
expect 1 "$cenctl" snapshot restore "$work/zero.snap" --data-dir "$work/rd0"
[ ! -e "$work/rd0/state" ] || fail "a bad snapshot left a data directory"

# simulate stays offline
expect 0 "$cenctl" simulate -f "$topo"
echo "cenctl: offline ok"

# ---- with a server ----------------------------------------------------------
if [ ! -x "$cend" ]; then
	echo "cenctl: no cend in $CEND_BUILD_DIR, cluster checks skipped"
	exit 0
fi

# free loopback ports for the node's Raft and API addresses
read -r raft api raft2 api2 < <(python3 - <<'PY'
import socket
socks = []
for _ in range(4):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    socks.append(s)
print(*[s.getsockname()[1] for s in socks])
PY
)
"$cend" --id 1 --region cn-hangzhou --data-dir "$work/n1" \
	--raft-addr "127.0.0.1:$raft" --api-addr "127.0.0.1:$api" \
	--initial-cluster "1=127.0.0.1:$raft" >"$work/n1.log" 2>&1 &
pids+=($!)
export CENCTL_ENDPOINTS=127.0.0.1:$api

# wait_leader ENDPOINT: polls until the node leads (at most 20 s)
wait_leader()
{
	local i
	for i in $(seq 1 200); do
		if "$cenctl" --endpoints "$1" --timeout 500 -w json \
			endpoint status 2>/dev/null | grep -q '"state":"leader"'; then
			return 0
		fi
		sleep 0.1
	done
	fail "no leader at $1: $(tail -5 "$work"/*.log)"
}
wait_leader "127.0.0.1:$api"

expect 0 "$cenctl" apply -f "$topo" --dry-run
grep -q "^+  - id: vbr-dc-1" "$work/out" || fail "dry run diff: $(cat "$work/out")"
expect 0 "$cenctl" apply -f "$topo"
grep -q "^applied at index [0-9]" "$work/out" || fail "apply: $(cat "$work/out")"
expect 0 "$cenctl" apply -f "$topo"
[ "$(cat "$work/out")" = "no changes" ] || fail "apply twice changed things"

expect 0 "$cenctl" attachment list
[ "$(grep -c "^v\|^c" "$work/out")" = 6 ] || fail "attachments: $(cat "$work/out")"
expect 0 "$cenctl" attachment create vpc-new --type VPC --region cn-hangzhou \
	--vswitch-cidr 10.50.0.0/24 --vswitch-cidr 10.50.1.0/24
expect 1 "$cenctl" attachment create vpc-new --type VPC --region cn-hangzhou
grep -q "already exists" "$work/err" || fail "create twice: $(cat "$work/err")"
expect 0 "$cenctl" attachment update vpc-new --vswitch-cidr 10.51.0.0/24
expect 0 "$cenctl" -w json attachment show vpc-new
python3 - "$work/out" <<'PY'
import json, sys
a = json.load(open(sys.argv[1]))
assert a["id"] == "vpc-new" and a["vswitch_cidrs"] == ["10.51.0.0/24"], a
PY
expect 0 "$cenctl" route-map create --region cn-hangzhou \
	--direction RegionOut --priority 30 --source-instance vpc-new \
	--destination-instance vpc-bu-a --action Deny
expect 0 "$cenctl" -w json route list --attachment vpc-bu-a
python3 - "$work/out" <<'PY'
import json, sys
rs = json.load(open(sys.argv[1]))
def find(prefix):
    return [r for r in rs if r["prefix"] == prefix]
bu = find("10.2.0.0/24")
assert bu and bu[0]["state"] == "Rejected" and bu[0]["route_map_priority"] == 10, bu
new = find("10.51.0.0/24")
assert new and new[0]["state"] == "Rejected" and new[0]["route_map_priority"] == 30, new
shared = find("10.9.0.0/24")
assert shared and shared[0]["state"] == "Active", shared
PY
expect 0 "$cenctl" route add 198.18.0.0/24 198.18.1.0/24 \
	--attachment vbr-dc-1 --peer 127.0.0.11 --as-path 65001,65002
expect 0 "$cenctl" route del 198.18.1.0/24 --attachment vbr-dc-1 \
	--peer 127.0.0.11
expect 0 "$cenctl" route list --table rt-hz-system --prefix 198.18.0.0/16 \
	--longer
grep -q "^rt-hz-system  198.18.0.0/24 .* BGP .*Active .*65001 65002$" \
	"$work/out" || fail "route add: $(cat "$work/out")"
! grep -q "198.18.1.0/24" "$work/out" || fail "route del: $(cat "$work/out")"
expect 0 "$cenctl" static-route create --route-table rt-hz-system \
	--prefix 192.168.77.0/24 --blackhole
expect 0 "$cenctl" -w json fib show --region cn-hangzhou
grep -q '"prefix":"192.168.77.0/24","next_hops":"blackhole"' "$work/out" ||
	fail "fib: $(cat "$work/out")"
expect 0 "$cenctl" static-route delete --route-table rt-hz-system \
	--prefix 192.168.77.0/24
expect 0 "$cenctl" route-map delete --region cn-hangzhou \
	--direction RegionOut --priority 30
expect 0 "$cenctl" attachment delete vpc-new
expect 1 "$cenctl" attachment show vpc-new
grep -qx "cenctl: attachment vpc-new does not exist" "$work/err" ||
	fail "show deleted: $(cat "$work/err")"
expect 0 "$cenctl" health-check set vbr-dc-1 --down
expect 1 "$cenctl" health-check set nope --up

# snapshot: save, then restore offline into a new data directory
expect 0 "$cenctl" snapshot save "$work/snap.db"
[ -s "$work/snap.db" ] && [ ! -e "$work/snap.db.part" ] || fail "snapshot file"
expect 0 "$cenctl" -w json endpoint status
hash=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[0]["state_hash"])' "$work/out")
expect 0 "$cenctl" snapshot restore "$work/snap.db" --data-dir "$work/r1"
expect 1 "$cenctl" snapshot restore "$work/snap.db" --data-dir "$work/r1"
grep -q "already exists" "$work/err" || fail "restore over a data dir"
"$cend" --id 1 --region cn-hangzhou --data-dir "$work/r1" \
	--raft-addr "127.0.0.1:$raft2" --api-addr "127.0.0.1:$api2" \
	--initial-cluster "1=127.0.0.1:$raft2" >"$work/r1.log" 2>&1 &
pids+=($!)
wait_leader "127.0.0.1:$api2"
expect 0 "$cenctl" --endpoints "127.0.0.1:$api2" -w json endpoint status
grep -q "\"state_hash\":\"$hash\"" "$work/out" ||
	fail "restored state differs: $hash vs $(cat "$work/out")"
echo "cenctl: cluster ok"

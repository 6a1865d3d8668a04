#!/bin/bash
# bench/prop-bench.sh [--routes N] [--updates N] [--warmup N] [--rate N]
#                     [--repeat K] [--no-cenfwd] [--keep]
#                     [--cend-args "ARGS"]
#
# Propagation to the forwarder, with bench/prop_bench.c against a 3-node
# cend cluster on 127.0.X.1-3 (free ports, data in a temporary directory):
#
#  1. latency, small table: prop_bench is an eBGP customer edge of node 1
#     (the VBR vbr-ce's peer, 127.0.X.10) and a forwarder subscribed to
#     node 2's FIB stream; it sends UPDATES /24s at RATE/s (one prefix per
#     UPDATE) and prints p50/p90/p99/max of CE UPDATE -> FIB arrival after
#     WARMUP of them;
#  2. ROUTES routes (default 1,000,000) loaded on vbr-bulk with
#     `cenctl route add --count`, and waited for on every node;
#  3. initial sync of a fresh forwarder: a fibsub without data directory
#     (prop_bench sync), then cenfwd itself on in-memory ports (prop_bench
#     cenfwd: exec to its "FIB complete ... (N entries)" log line), K runs
#     each;
#  4. latency again, with the ROUTES routes in place.
#
# Prints each part's results, a summary against the targets and one JSON
# line.  --keep leaves the cluster running at the end, with the routes
# (for profiling: perf record -p PID while prop_bench runs against it);
# --cend-args adds arguments to every cend (--snapshot-threshold N, ...).
# Build first (scripts/test --quick, or cmake into CEND_BUILD_DIR).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
build=${CEND_BUILD_DIR:-$root/build/release}
routes=1000000 updates=11000 warmup=1000 rate=1000 repeat=3 cenfwd=1 keep=0
cend_args=
while [ $# -gt 0 ]; do
	case $1 in
	--routes) routes=$2; shift ;;
	--updates) updates=$2; shift ;;
	--warmup) warmup=$2; shift ;;
	--rate) rate=$2; shift ;;
	--repeat) repeat=$2; shift ;;
	--no-cenfwd) cenfwd=0 ;;
	--keep) keep=1 ;;
	--cend-args) cend_args=$2; shift ;;
	*) sed -n '2,28p' "$0" >&2; exit 2 ;;
	esac
	shift
done
for b in cend cenctl prop_bench cenfwd; do
	[ -x "$build/$b" ] || { echo "build first: no $build/$b" >&2; exit 2; }
done

work=$(mktemp -d /tmp/propbench.XXXXXX)
net=127.0.$((RANDOM % 200 + 20))
pids=()
cleanup()
{
	local p
	if [ $keep = 1 ]; then
		echo "the cluster is left running (kill ${pids[*]} to stop it):"
		echo "  export CENCTL_ENDPOINTS=${eps:-}; its files are in $work"
		return
	fi
	for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	# the node logs of the last run stay for a look afterwards
	rm -rf /tmp/propbench-last
	mkdir -p /tmp/propbench-last
	cp "$work"/*.log "$work"/*.json /tmp/propbench-last/ 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT

# A free TCP port on address $1.
port()
{
	python3 - "$1" <<'PY'
import socket, sys
s = socket.socket()
s.bind((sys.argv[1], 0))
print(s.getsockname()[1])
s.close()
PY
}

hub_as=45104 ce=$net.10 ce_as=65010 bulk=$net.11
cat >"$work/topo.yaml" <<YAML
cen:
  id: cen-prop
  asn: $hub_as
regions:
  - id: r1
    route_tables:
      - id: rt1
        system: true
physical_connections:
  - id: pc1
    region: r1
    access_point: ap1
    speed_gbps: 100
attachments:
  - id: vpc-a
    type: VPC
    region: r1
    vswitch_cidrs: [10.1.0.0/24]
  # the customer edge whose UPDATEs are timed: prop_bench, on node 1
  - id: vbr-ce
    type: VBR
    region: r1
    physical_connection: pc1
    vlan: 101
    bandwidth_mbps: 10000
    bgp:
      peers:
        - { address: $ce, asn: $ce_as, nodes: [1], passive: true, route_quota: 4000000 }
  # the bulk of the table, loaded with cenctl route add --count
  - id: vbr-bulk
    type: VBR
    region: r1
    physical_connection: pc1
    vlan: 102
    bandwidth_mbps: 10000
    bgp:
      peers:
        - { address: $bulk, asn: 65011, nodes: [2], passive: true, route_quota: 4000000 }
YAML

declare -A raft api bgp
for i in 1 2 3; do
	raft[$i]=$net.$i:$(port $net.$i)
	api[$i]=$net.$i:$(port $net.$i)
	bgp[$i]=$(port $net.$i)
done
list="1=${raft[1]},2=${raft[2]},3=${raft[3]}"
for i in 1 2 3; do
	# shellcheck disable=SC2086 # cend_args: one word per argument
	"$build/cend" --id $i --region r1 --data-dir "$work/n$i" \
		--raft-addr "${raft[$i]}" --api-addr "${api[$i]}" \
		--initial-cluster "$list" --bgp-addr "$net.$i:${bgp[$i]}" \
		$cend_args >"$work/n$i.log" 2>&1 &
	pids+=($!)
done
eps="${api[1]},${api[2]},${api[3]}"
ctl() { "$build/cenctl" --endpoints "$eps" "$@"; }
deadline=$((SECONDS + 30))
until ctl apply -f "$work/topo.yaml" >/dev/null 2>&1; do
	[ $SECONDS -lt $deadline ] || { echo "cluster did not come up"; tail "$work"/n*.log; exit 1; }
	sleep 0.2
done
until "$build/cenctl" --endpoints "${api[1]}" bgp summary 2>/dev/null | grep -q "$ce"; do
	[ $SECONDS -lt $deadline ] || { echo "node 1 has no session for $ce"; exit 1; }
	sleep 0.2
done
leader=$(ctl -w json member list | python3 -c '
import json, sys
print(next((m["id"] for m in json.load(sys.stdin) if m.get("is_leader")), "?"))')
echo "== 3 nodes on $net.1-3, leader node $leader; CE $ce (AS $ce_as) on node 1," \
	"forwarder on node 2"
# the forwarder's endpoints: node 2 first, as a forwarder lists its cluster
fwd_eps="${api[2]},${api[3]},${api[1]}"

latency()
{
	local name=$1 start=$2
	"$build/prop_bench" latency --bgp "$ce:$ce_as@$net.1:${bgp[1]}" \
		--hub-as $hub_as --endpoints "$fwd_eps" --region r1 --table rt1 \
		--rate "$rate" --updates "$updates" --warmup "$warmup" \
		--start "$start" --timeout 120 | tee "$work/$name.out"
	tail -n 1 "$work/$name.out" >"$work/$name.json"
}

echo
echo "== 1. CE UPDATE -> forwarder FIB, small table ($updates UPDATEs at $rate/s)"
latency lat_small 120.0.0.0/24

echo
echo "== 2. loading $routes routes on vbr-bulk"
t0=$EPOCHREALTIME
ctl --timeout 120000 route add --count "$routes" --start 11.0.0.0/24 \
	--attachment vbr-bulk --peer "$bulk"
echo
echo "== 3. initial sync of $routes routes to a fresh forwarder"
"$build/prop_bench" sync --wait --endpoints "$fwd_eps" --region r1 \
	--expect "$routes" --start 11.0.0.0/24 --repeat "$repeat" \
	--timeout 300 | tee "$work/sync.out"
tail -n 1 "$work/sync.out" >"$work/sync.json"
echo "(load acknowledged and applied on every node within $(python3 -c "import time; print('%.1f' % (time.time() - $t0))") s)"
entries=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["entries"])' "$work/sync.json")
grep -h "snapshot of r1" "$work/n2.log" | tail -n 3 | sed 's/^/node 2: /'

if [ $cenfwd = 1 ]; then
	cat >"$work/fwd.yaml" <<YAML
id: fwd-prop
region: r1
cluster: [${api[2]}, ${api[3]}, ${api[1]}]
io: memory
ports:
  - interface: mem0
    attachment: vpc-a
YAML
	echo
	echo "== cenfwd (io: memory, no data directory), $entries entries"
	"$build/prop_bench" cenfwd --cenfwd "$build/cenfwd" \
		--config "$work/fwd.yaml" --expect "$entries" --repeat "$repeat" \
		--timeout 300 2>"$work/cenfwd.log" | tee "$work/cenfwd.out"
	tail -n 1 "$work/cenfwd.out" >"$work/cenfwd.json"
else
	echo '{}' >"$work/cenfwd.json"
fi

echo
echo "== 4. CE UPDATE -> forwarder FIB with $routes routes in the table"
latency lat_loaded 130.0.0.0/24

for i in 1 2 3; do
	echo "node $i: peak RSS $(awk '/VmHWM/{print int($2 / 1024)}' "/proc/${pids[$((i - 1))]}/status") MB"
done

echo
python3 - "$work" "$routes" "$rate" <<'PY'
import json, sys
w, routes, rate = sys.argv[1], int(sys.argv[2]), sys.argv[3]
def load(n):
    try:
        return json.load(open("%s/%s.json" % (w, n)))
    except (OSError, ValueError):
        return {}
small, loaded = load("lat_small"), load("lat_loaded")
sync, fwd = load("sync"), load("cenfwd")
def verdict(ok):
    return "met" if ok else "NOT met"
rows = []
for name, d in (("small table", small), ("%d routes" % routes, loaded)):
    if not d:
        continue
    ms = d["ms"]
    rows.append(("propagation p50, %s" % name, "<= 50 ms", "%.1f ms" % ms["p50"], verdict(ms["p50"] <= 50)))
    rows.append(("propagation p99, %s" % name, "<= 200 ms", "%.1f ms" % ms["p99"], verdict(ms["p99"] <= 200)))
if sync:
    rows.append(("initial sync, fibsub (best of %d)" % sync["runs"], "<= 3 s", "%.2f s" % (sync["best_ms"] / 1e3), verdict(sync["best_ms"] <= 3000)))
if fwd:
    rows.append(("initial sync, cenfwd (best of %d)" % fwd["runs"], "<= 3 s", "%.2f s" % (fwd["best_ms"] / 1e3), verdict(fwd["best_ms"] <= 3000)))
print("%-44s %-10s %-10s %s" % ("target (%s updates/s)" % rate, "required", "measured", ""))
for r in rows:
    print("%-44s %-10s %-10s %s" % r)
print(json.dumps({"bench": "prop", "routes": routes, "latency_small": small,
                  "latency_loaded": loaded, "sync_fibsub": sync,
                  "sync_cenfwd": fwd}, separators=(",", ":")))
PY

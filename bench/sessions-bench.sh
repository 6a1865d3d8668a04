#!/bin/bash
# bench/sessions-bench.sh [SESSIONS] [PREFIXES] [STAY_S]
#
# Many BGP sessions on one node of a 3-node cend cluster: SESSIONS eBGP
# peers (default 500), each from its own loopback address 127.1.X.Y with its
# own AS, all held by node 1, each announcing PREFIXES IPv4 /24s of its own
# (default 1,000); bench/sessions.c runs them all.  Once every session is
# Established and has sent its prefixes, they are kept STAY_S seconds
# (default 60, two hold times of 30 s): the run fails if one is lost, and
# afterwards node 1 must still show each of them Established since before
# the stay, with all its prefixes.  Peers do not hear each other's routes:
# their attachments are associated with a route table of their own (rt-ce)
# and propagate into the system table only, so what is measured is the
# sessions and the table, not a full-mesh route server.
#
# In the same run, BIRD 2 with the same peers (passive, import all, export
# none) as the reference.  Prints the times from the first connect until
# every session is Established and until the whole table is in, each
# node's peak RSS and CPU time, and BIRD's.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
nsess=${1:-500}
npfx=${2:-1000}
stay=${3:-60}
build=${CEND_BUILD_DIR:-$root/build/release}
work=$(mktemp -d /tmp/sessbench.XXXXXX)
net=127.0.60
pids=()
bird_pid=
cleanup()
{
	for p in "${pids[@]}" $bird_pid; do kill -9 "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf /tmp/sessbench-last
	mkdir -p /tmp/sessbench-last
	cp "$work"/*.log "$work"/*.out /tmp/sessbench-last/ 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT

[ -x "$build/cend" ] && [ -x "$build/sessions" ] ||
	{ echo "build first: cmake --build build/release (no $build/cend or $build/sessions)"; exit 2; }
[ "$nsess" -ge 1 ] && [ "$nsess" -le 4000 ] || { echo "SESSIONS: 1..4000"; exit 2; }

# peer i (0-based): 127.1.0.1 + i, AS 4200000001 + i
peer_addr()
{
	local a=$((1 + $1))
	echo "127.1.$((a / 256)).$((a % 256))"
}

# --- the topology: 8 peers per VBR attachment, all held by node 1 ---------
{
	cat <<YAML
cen:
  id: cen-sessions
  asn: 65000
regions:
  - id: r1
    route_tables:
      - id: rt1
        system: true
      - id: rt-ce
physical_connections:
  - id: pc1
    region: r1
    access_point: ap1
    speed_gbps: 100
attachments:
YAML
	for ((i = 0; i < nsess; i++)); do
		if ((i % 8 == 0)); then
			cat <<YAML
  - id: vbr-$((i / 8))
    type: VBR
    region: r1
    physical_connection: pc1
    vlan: $((100 + i / 8))
    bandwidth_mbps: 1000
    route_table: rt-ce
    propagate: [rt1]
    bgp:
      peers:
YAML
		fi
		echo "        - { address: $(peer_addr $i), asn: $((4200000001 + i)), nodes: [1], passive: true, route_quota: $((npfx * 2)) }"
	done
} >"$work/topo.yaml"

tck=$(getconf CLK_TCK)
cpu_of() { awk -v t="$tck" '{printf "%.2f", ($14 + $15) / t}' "/proc/$1/stat"; }
hwm_of() { awk '/VmHWM/{print $2}' "/proc/$1/status"; }

# --- cend ----------------------------------------------------------------------
list="1=$net.1:7201,2=$net.2:7201,3=$net.3:7201"
for i in 1 2 3; do
	"$build/cend" --id $i --region r1 --data-dir "$work/n$i" \
		--raft-addr $net.$i:7201 --api-addr $net.$i:7101 \
		--initial-cluster "$list" --bgp-addr $net.$i:1790 \
		>"$work/n$i.log" 2>&1 &
	pids+=($!)
done
ctl() { "$build/cenctl" --endpoints "$1" "${@:2}"; }
eps=$net.1:7101,$net.2:7101,$net.3:7101
deadline=$((SECONDS + 60))
until ctl $eps apply -f "$work/topo.yaml" >"$work/apply.out" 2>&1; do
	[ $SECONDS -lt $deadline ] || { echo "cluster did not come up"; cat "$work/apply.out"; tail "$work"/n*.log; exit 1; }
	sleep 0.2
done
peers_on_node1() { ctl $net.1:7101 -w json bgp summary | grep -o '"neighbor"' | wc -l; }
until [ "$(peers_on_node1)" -ge "$nsess" ]; do
	[ $SECONDS -lt $deadline ] || {
		echo "node 1 does not run $nsess peers (runs $(peers_on_node1))"
		tail -5 "$work/n1.log"
		exit 1
	}
	sleep 0.2
done

# the whole table in: every peer Established on node 1 with all its prefixes
# (then every node's applied index equal to the leader's commit index)
table_in()
{
	ctl $net.1:7101 -w json bgp summary | python3 -c '
import json, sys
n, m = int(sys.argv[1]), int(sys.argv[2])
peers = json.load(sys.stdin)["peers"]
ok = [p for p in peers if p["state"] == "Established" and p["prefixes_received"] == m]
sys.exit(0 if len(ok) == n else 1)' "$nsess" "$npfx"
}
converged()
{
	local a b c
	a=$(ctl $net.1:7101 -w json endpoint status | grep -o '"applied_index":[0-9]*' | head -1)
	b=$(ctl $net.2:7101 -w json endpoint status | grep -o '"applied_index":[0-9]*' | head -1)
	c=$(ctl $net.3:7101 -w json endpoint status | grep -o '"applied_index":[0-9]*' | head -1)
	[ -n "$a" ] && [ "$a" = "$b" ] && [ "$b" = "$c" ]
}

echo "== cend: 3 nodes, $nsess sessions on node 1, $npfx prefixes each, kept ${stay}s"
t0=$(date +%s.%N)
"$build/sessions" --dut $net.1:1790 --sessions "$nsess" --prefixes "$npfx" \
	--stay "$stay" --timeout 300 --linger 60 >"$work/cend.out" 2>&1 &
spid=$!
# the table counted while the sessions stay up
until table_in && converged; do
	kill -0 $spid 2>/dev/null || break
	sleep 0.2
done
t_in=$(date +%s.%N)
in_ok=0
table_in && in_ok=1
# the sessions linger after their result, for the look below
until grep -q "^result:" "$work/cend.out"; do
	kill -0 $spid 2>/dev/null || break
	sleep 0.2
done
cat "$work/cend.out"
grep -q "^result: ok" "$work/cend.out" ||
	{ echo "result: cend lost sessions or timed out"; exit 1; }
if [ "$in_ok" != 1 ]; then
	ctl $net.1:7101 bgp summary | head -20
	echo "result: node 1 never held every prefix"
	exit 1
fi
# after the stay: still every session, none re-established during it
ctl $net.1:7101 -w json bgp summary | python3 -c '
import json, sys
n, m, stay = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
peers = json.load(sys.stdin)["peers"]
bad = [p["neighbor"] for p in peers if p["state"] != "Established" or
       p["prefixes_received"] != m or p["up_down_ms"] < stay * 1000]
if bad:
    print("after the stay, not up since before it with all prefixes:", " ".join(bad[:10]))
    sys.exit(1)
print("after_stay: %d sessions Established, each up for more than %d s" % (n, stay))' \
	"$nsess" "$npfx" "$stay" || { echo "result: sessions flapped"; exit 1; }
kill $spid 2>/dev/null || true
wait $spid 2>/dev/null || true
est=$(sed -n 's/^established_s=\([0-9.]*\).*/\1/p' "$work/cend.out")
cend_in=$(python3 -c "print('%.3f' % ($t_in - $t0))")
echo "cend established_s=$est table_in_s=$cend_in (all nodes applied)"
for i in 1 2 3; do
	p=${pids[$((i - 1))]}
	echo "cend node $i peak_rss_kb=$(hwm_of "$p") cpu_s=$(cpu_of "$p")"
done
for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
wait "${pids[@]}" 2>/dev/null || true
pids=()

# --- BIRD 2, the same peers --------------------------------------------------
if ! command -v bird >/dev/null || [ "${SKIP_BIRD:-0}" = 1 ]; then
	exit 0
fi
echo "== BIRD 2, the same $nsess sessions and prefixes"
{
	echo "router id 10.255.0.1;"
	echo "protocol device {}"
	echo "template bgp peer { local $net.9 port 1790 as 65000; passive on; multihop; hold time 90; ipv4 { import all; export none; }; }"
	for ((i = 0; i < nsess; i++)); do
		echo "protocol bgp p$i from peer { neighbor $(peer_addr $i) as $((4200000001 + i)); }"
	done
} >"$work/bird.conf"
bird -c "$work/bird.conf" -s "$work/bird.ctl" -P "$work/bird.pid" -f >"$work/bird.log" 2>&1 &
bird_pid=$!
deadline=$((SECONDS + 30))
until birdc -s "$work/bird.ctl" show status >/dev/null 2>&1; do
	[ $SECONDS -lt $deadline ] || { echo "BIRD did not start"; cat "$work/bird.log"; exit 1; }
	sleep 0.2
done
bird_count() { birdc -s "$work/bird.ctl" show route count | sed -n 's/^Total: \([0-9]*\) of .*/\1/p'; }
t0=$(date +%s.%N)
"$build/sessions" --dut $net.9:1790 --sessions "$nsess" --prefixes "$npfx" \
	--stay "$stay" --timeout 300 >"$work/bird.out" 2>&1 &
spid=$!
total=$((nsess * npfx))
until [ "$(bird_count)" = "$total" ]; do
	kill -0 $spid 2>/dev/null || break
	sleep 0.2
done
t_in=$(date +%s.%N)
wait $spid && srv=0 || srv=$?
cat "$work/bird.out"
[ "$srv" = 0 ] || { echo "result: BIRD lost sessions or timed out"; exit 1; }
est=$(sed -n 's/^established_s=\([0-9.]*\).*/\1/p' "$work/bird.out")
echo "bird established_s=$est table_in_s=$(python3 -c "print('%.3f' % ($t_in - $t0))")"
echo "bird peak_rss_kb=$(hwm_of "$bird_pid") cpu_s=$(cpu_of "$bird_pid")"

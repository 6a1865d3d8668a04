#!/bin/bash
# bench/bgp-bench.sh [PREFIXES] [PER_UPDATE]
#
# Reflection through a 3-node cend cluster, measured from outside with
# bgpblast (../shared/bench/bgpblast.c): one sender session announces
# PREFIXES IPv4 /24s to node 1, receivers attached to nodes 2 and 3 count
# them; then everything is withdrawn.  In the same run, BIRD 2 as a single
# reflector (../shared/bench/rr-bench.sh bird), so the two can be compared
# on the same machine.  Prints both results and cend's peak RSS per node
# (with its split into anonymous memory and mapped file pages).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
shared=${CEND_SHARED_DIR:-$root/../shared}
n=${1:-1000000}
per=${2:-4}
build=${CEND_BUILD_DIR:-$root/build/release}
work=$(mktemp -d /tmp/bgpbench.XXXXXX)
pids=()
cleanup()
{
	for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	# keep the node logs of the last run for a look afterwards
	rm -rf /tmp/bgpbench-last
	mkdir -p /tmp/bgpbench-last
	cp "$work"/*.log /tmp/bgpbench-last/ 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT

[ -x "$build/cend" ] || { echo "build first: scripts/test --quick (no $build/cend)"; exit 2; }
[ -f "$shared/bench/bgpblast.c" ] || { echo "no $shared/bench/bgpblast.c"; exit 2; }
gcc -O2 -o "$work/bgpblast" "$shared/bench/bgpblast.c"

net=127.0.50
cat >"$work/topo.yaml" <<YAML
cen:
  id: cen-bench
  # bgpblast's random AS paths use 1000..60999: a hub ASN in that range
  # would (rightly) drop the paths that contain it.  BIRD's DUT is 65000 too.
  asn: 65000
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
  - id: vbr-send
    type: VBR
    region: r1
    physical_connection: pc1
    vlan: 101
    bandwidth_mbps: 10000
    bgp:
      peers:
        - { address: 127.0.0.2, asn: 65001, nodes: [1], passive: true, route_quota: 4000000 }
  - id: vbr-recv-2
    type: VBR
    region: r1
    physical_connection: pc1
    vlan: 102
    bandwidth_mbps: 10000
    bgp:
      peers:
        - { address: 127.0.0.3, asn: 65002, nodes: [2], passive: true }
  - id: vbr-recv-3
    type: VBR
    region: r1
    physical_connection: pc1
    vlan: 103
    bandwidth_mbps: 10000
    bgp:
      peers:
        - { address: 127.0.0.4, asn: 65003, nodes: [3], passive: true }
YAML

list="1=$net.1:7201,2=$net.2:7201,3=$net.3:7201"
for i in 1 2 3; do
	"$build/cend" --id $i --region r1 --data-dir "$work/n$i" \
		--raft-addr $net.$i:7201 --api-addr $net.$i:7101 \
		--initial-cluster "$list" --bgp-addr $net.$i:1790 \
		>"$work/n$i.log" 2>&1 &
	pids+=($!)
done
# every 50 ms, each node's resident memory split into anonymous memory and
# file pages mapped (LMDB's data file is read through its map): which of
# the two makes the peak
(
	while sleep 0.05; do
		for i in 1 2 3; do
			p=${pids[$((i - 1))]}
			[ -e /proc/$p/status ] || exit 0
			awk -v i=$i '/^VmRSS|^RssAnon|^RssFile/{v = v " " $2}
				END{print i v}' /proc/$p/status
		done
	done >"$work/mem.txt"
) &
ctl() { "$build/cenctl" --endpoints $net.1:7101,$net.2:7101,$net.3:7101 "$@"; }
deadline=$((SECONDS + 30))
until ctl apply -f "$work/topo.yaml" >/dev/null 2>&1; do
	[ $SECONDS -lt $deadline ] || { echo "cluster did not come up"; tail "$work"/n*.log; exit 1; }
	sleep 0.2
done
# every node runs its peer's session before bgpblast connects
for i in 1 2 3; do
	until "$build/cenctl" --endpoints $net.$i:7101 bgp summary 2>/dev/null |
		grep -q "127.0.0.[234]"; do
		[ $SECONDS -lt $deadline ] || { echo "node $i has no BGP peer"; exit 1; }
		sleep 0.2
	done
done
echo "== cend: 3 nodes, sender at node 1, receivers at nodes 2 and 3, $n prefixes, $per per UPDATE"
"$work/bgpblast" --send 127.0.0.2:65001@$net.1:1790 \
	--recv 127.0.0.3:65002@$net.2:1790 --recv 127.0.0.4:65003@$net.3:1790 \
	--prefixes "$n" --per-update "$per" --withdraw --timeout 600 | tee "$work/cend.out"
# peak RSS, and CPU time (user + system) over the whole run: on a shared
# machine the CPU time varies less than the wall-clock times
tck=$(getconf CLK_TCK)
for i in 1 2 3; do
	p=${pids[$((i - 1))]}
	cpu=$(awk -v t="$tck" '{printf "%.2f", ($14 + $15) / t}' /proc/$p/stat)
	split=$(awk -v i=$i '$1 == i && $2 > m {m = $2; a = $3; f = $4}
		END{printf "anon_kb=%d file_kb=%d", a, f}' "$work/mem.txt")
	echo "cend node $i peak_rss_kb=$(awk '/VmHWM/{print $2}' /proc/$p/status) cpu_s=$cpu (at the largest sample: $split)"
done
for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
wait 2>/dev/null || true
pids=()

if command -v bird >/dev/null && [ "${SKIP_BIRD:-0}" != 1 ]; then
	echo "== BIRD 2 as a single reflector, same machine, same prefixes"
	bash "$shared/bench/rr-bench.sh" bird "$n" "$per"
fi

#!/bin/bash
# bgp_sessions.sh - many sessions on one node (bench/sessions.c as the
# peers): 100 eBGP peers with four-octet ASNs, from 127.0.T_NET.100-199,
# eight to a VBR attachment, all held by node 1 of a one-node cluster (the
# attachments learn from a table of their own and propagate into the system
# table, so the peers do not hear each other's routes):
#
#  - every session reaches Established and every peer's 20 prefixes are in
#    the RIB (2,000 paths);
#  - `cenctl bgp summary` lists all 100 peers (not a first page of them),
#    Established with 20 prefixes received each, after they stayed up;
#  - `peer show` of the last one answers too.
set -euo pipefail
# shellcheck source=tests/integration/lib/cluster.bash
. "$(dirname "$0")/lib/cluster.bash"

n=100
m=20
[ -x "$CEND_BUILD_DIR/sessions" ] || t_fail "no $CEND_BUILD_DIR/sessions (bench/sessions.c)"

t_node_init 1
bgp_port=$(t_port 1)
t_node_start 1 --initial-cluster "$(t_cluster_list 1)" \
	--bgp-addr "127.0.$T_NET.1:$bgp_port"
t_wait 20 "a leader" t_has_leader 1

{
	cat <<YAML
cen:
  id: cen-sessions
  asn: 65000
regions:
  - id: cn-hangzhou
    route_tables:
      - id: rt1
        system: true
      - id: rt-ce
physical_connections:
  - id: pc1
    region: cn-hangzhou
    access_point: ap1
    speed_gbps: 100
attachments:
YAML
	for ((i = 0; i < n; i++)); do
		if ((i % 8 == 0)); then
			cat <<YAML
  - id: vbr-$((i / 8))
    type: VBR
    region: cn-hangzhou
    physical_connection: pc1
    vlan: $((100 + i / 8))
    bandwidth_mbps: 1000
    route_table: rt-ce
    propagate: [rt1]
    bgp:
      peers:
YAML
		fi
		echo "        - { address: 127.0.$T_NET.$((100 + i)), asn: $((4200000001 + i)), nodes: [1], passive: true }"
	done
} >"$T_WORK/topo.yaml"
t_ctl 1 apply -f "$T_WORK/topo.yaml" >/dev/null || t_fail "apply of $n peers failed"

# every peer in `bgp summary`, each Established with all its prefixes
summary_ok()
{
	t_ctl 1 -w json bgp summary >"$T_WORK/summary.json" || return 1
	python3 - "$T_WORK/summary.json" "$n" "$m" <<'PY'
import json, sys
n, m = int(sys.argv[2]), int(sys.argv[3])
peers = json.load(open(sys.argv[1]))["peers"]
ok = [p for p in peers if p["state"] == "Established" and p["prefixes_received"] == m]
sys.exit(0 if len(peers) == n and len(ok) == n else 1)
PY
}
listed() { [ "$(t_ctl 1 -w json bgp summary | grep -o '"neighbor"' | wc -l)" = "$n" ]; }
t_wait 20 "bgp summary to list all $n peers" listed

"$CEND_BUILD_DIR/sessions" --dut "127.0.$T_NET.1:$bgp_port" --sessions $n \
	--prefixes $m --src "127.0.$T_NET.100" --hold 9 --stay 4 --linger 60 \
	--timeout 60 >"$T_WORK/sessions.out" 2>&1 &
T_PID[sessions]=$!
has_result() { grep -q "^result:" "$T_WORK/sessions.out"; }
t_wait 70 "the sessions to be up and stay" has_result
grep -q "^result: ok" "$T_WORK/sessions.out" ||
	t_fail "sessions: $(tail -5 "$T_WORK/sessions.out")"
t_wait 20 "every peer Established with $m prefixes in bgp summary" summary_ok
paths=$(t_status_field 1 paths)
[ "$paths" = $((n * m)) ] || t_fail "node 1 holds $paths paths, expected $((n * m))"
last=127.0.$T_NET.$((100 + n - 1))
t_ctl 1 peer show "$last" | grep -q "Established" ||
	t_fail "peer show $last: $(t_ctl 1 peer show "$last" 2>&1)"
echo "$n sessions Established on node 1, $((n * m)) paths, all listed"

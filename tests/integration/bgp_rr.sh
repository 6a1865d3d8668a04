#!/bin/bash
# bgp_rr.sh - iBGP route-reflector clients (RFC 4456) of a three-node
# cluster whose region has bgp_cluster_id 10.7.0.1, with real routers on
# 127.0.7.x (an address block no other test picks):
#
#  - c-bird, BIRD 2 in the hub's AS (a client) on node 1, announces
#    10.171.0.0/24, .1.0 and .2.0 with LOCAL_PREF 200 and a community;
#  - c-exa, ExaBGP in the hub's AS (a client) on node 3, receives them
#    reflected: no AS prepended, c-bird's next hop, ORIGINATOR_ID c-bird's
#    router ID, CLUSTER_LIST [10.7.0.1], LOCAL_PREF 200; a withdrawal
#    follows;
#  - e-bird, BIRD 2 in AS 65073 (eBGP) on node 2, gets the reflected routes
#    with the hub's AS prepended; its own routes reach c-exa with their AS
#    path as sent (nothing prepended), node 3 as next hop, LOCAL_PREF and
#    neither ORIGINATOR_ID nor CLUSTER_LIST;
#  - c-exa announces a route with our cluster ID in its CLUSTER_LIST and
#    one with node 3's BGP identifier as ORIGINATOR_ID: no node keeps
#    either (treat-as-withdraw), e-bird never sees them, while a route with
#    another cluster's ID sent after them is taken and reflected;
#  - nobody gets its own routes back (the Adj-RIB-Out of each client).
set -euo pipefail
T_NET=${T_NET:-7}
# shellcheck source=tests/integration/lib/cluster.bash
. "$(dirname "$0")/lib/cluster.bash"
# shellcheck source=tests/integration/lib/bgp.bash
. "$(dirname "$0")/lib/bgp.bash"

bgp_need bird || t_fail "BIRD 2 is required (Debian package bird2)"
bgp_need exabgp || t_fail "ExaBGP is required (Debian package exabgp)"
CLUSTER_ID=10.7.0.1
bgp_cluster_start 3

ce_init c-bird bird 71 $HUB_AS # client, announces, on node 1
ce_init c-exa exabgp 72 $HUB_AS # client, receives and tests loops, node 3
ce_init e-bird bird 73 65073 # eBGP, on node 2
ce_routes e-bird 73
node3=127.0.$T_NET.3

# the attachment (a CCN, as a branch's router would be) of a peer's line
ccn_yaml()
{
	cat <<EOF
  - id: $1
    type: CCN
    region: cn-hangzhou
    bgp:
      peers:
EOF
	cat
}
{
	topo_head | sed "s/^  - id: cn-hangzhou\$/&\n    bgp_cluster_id: $CLUSTER_ID/"
	ce_peer_yaml c-bird 1 | ccn_yaml ccn-rr-1
	ce_peer_yaml c-exa 3 "ipv6: true" | ccn_yaml ccn-rr-2
	ce_peer_yaml e-bird 2 "ipv6: true" | vbr_yaml vbr-ebgp 73
} >"$T_WORK/topo.yaml"
t_ctl 1 apply -f "$T_WORK/topo.yaml" >/dev/null ||
	t_fail "apply of the topology failed: $(t_ctl 1 apply -f "$T_WORK/topo.yaml" 2>&1)"
# every node has the region with its cluster ID as written
has_cluster_id()
{
	local out
	out=$(t_ctl "$1" region show cn-hangzhou 2>&1) || { echo "$out"; return 1; }
	grep -q "bgp_cluster_id: $CLUSTER_ID" <<<"$out" || { echo "$out"; return 1; }
}
for i in 1 2 3; do
	bgp_wait 10 "node $i to show the region's bgp_cluster_id" has_cluster_id "$i"
done

# --- c-bird: BIRD as a client, LOCAL_PREF 200 on what it sends ---------------
d=${CE_DIR[c-bird]} a=${CE_ADDR[c-bird]}
cat >"$d/bird.conf" <<EOF
log "$d/bird.log" all;
router id $a;
protocol device { }
filter to_hub {
  bgp_community.add(($HUB_AS,171));
  bgp_local_pref = 200;
  accept;
}
protocol static r4keep { ipv4;
  route 10.171.0.0/24 blackhole;
  route 10.171.2.0/24 blackhole;
}
protocol static r4gone { ipv4;
  route 10.171.1.0/24 blackhole;
}
protocol bgp hub {
  local $a port ${CE_PORT[c-bird]} as $HUB_AS;
  neighbor 127.0.$T_NET.1 port ${T_BGP[1]} as $HUB_AS;
  strict bind on; hold time 9; connect retry time 1;
  ipv4 { import all; export filter to_hub; next hop self; };
}
EOF
/usr/sbin/bird -f -c "$d/bird.conf" -s "$d/bird.ctl" >>"$d/bird.out.log" 2>&1 &
CE_PID[c-bird]=$!

# --- c-exa: ExaBGP as a client, with the routes that must loop -------------
d=${CE_DIR[c-exa]} a=${CE_ADDR[c-exa]}
: >"$d/cmds"
cat >"$d/exabgp.conf" <<EOF
process api {
  run /bin/sh -c 'tail -n +1 -F --pid=\$\$ $d/cmds 2>/dev/null & exec cat >$d/received.json';
  encoder json;
}
neighbor 127.0.$T_NET.3 {
  router-id $a;
  local-address $a;
  local-as $HUB_AS;
  peer-as $HUB_AS;
  hold-time 9;
  connect ${T_BGP[3]};
  family {
    ipv4 unicast;
    ipv6 unicast;
  }
  api { processes [ api ]; receive { parsed; update; } }
  static {
    route 10.172.0.0/24 next-hop self cluster-list [ $CLUSTER_ID ];
    route 10.172.1.0/24 next-hop self originator-id $node3;
  }
}
EOF
env exabgp_daemon_user=root exabgp_daemon_drop=false \
	exabgp_api_cli=false exabgp_api_ack=false \
	exabgp_tcp_bind="$a" exabgp_tcp_port="${CE_PORT[c-exa]}" \
	exabgp_log_destination=stdout exabgp_log_level=INFO \
	/usr/sbin/exabgp "$d/exabgp.conf" >>"$d/exabgp.log" 2>&1 &
CE_PID[c-exa]=$!

bird_start e-bird 2 send v6

sessions_up()
{
	local n id name
	for n in 1:c-bird 3:c-exa 2:e-bird; do
		id=${n%%:*} name=${n#*:}
		peer_established "$id" "${CE_ADDR[$name]}" ||
			{ echo "$name: $(peer_state "$id" "${CE_ADDR[$name]}")"; return 1; }
	done
}
bgp_wait 40 "every session Established" sessions_up
echo "sessions up: two clients, one eBGP peer (${SECONDS}s)"

# exa_rib SPEC...: checks what c-exa holds (the updates it received,
# replayed) against each SPEC: "!PREFIX" (not there) or "PREFIX KEY=VALUE
# ..." with KEY one of aspath (space-separated, "" for empty), nh,
# originator, clusters (space-separated), lp, comm (one among them); the
# value "-" means the attribute is absent.
exa_rib()
{
	python3 - "${CE_DIR[c-exa]}/received.json" "$@" <<'PY'
import ipaddress, json, sys

def norm(p):
    return str(ipaddress.ip_network(p, strict=False))

have = {}
for line in open(sys.argv[1]):
    try:
        m = json.loads(line)
    except ValueError:
        continue
    if m.get("type") == "state":
        have.clear()
        continue
    upd = m.get("neighbor", {}).get("message", {}).get("update", {})
    attr = upd.get("attribute", {})
    for fam in upd.get("withdraw", {}).values():
        for n in fam:
            have.pop(norm(n["nlri"]), None)
    for fam in upd.get("announce", {}).values():
        for nh, nlris in fam.items():
            for n in nlris:
                have[norm(n["nlri"])] = {
                    "aspath": " ".join(str(a) for a in attr.get("as-path", [])),
                    "nh": nh,
                    "originator": attr.get("originator-id", "-"),
                    "clusters": " ".join(attr.get("cluster-list", [])) or "-",
                    "lp": str(attr.get("local-preference", "-")),
                    "comm": ["%d:%d" % tuple(c) for c in attr.get("community", [])],
                }
for spec in sys.argv[2:]:
    if spec.startswith("!"):
        if norm(spec[1:]) in have:
            print("%s: there, with %s" % (spec, have[norm(spec[1:])]))
            sys.exit(1)
        continue
    p, *kvs = spec.split(";")
    got = have.get(norm(p))
    if got is None:
        print("%s: not there" % p)
        sys.exit(1)
    for kv in kvs:
        k, v = kv.split("=", 1)
        ok = v in got[k] if k == "comm" else got[k] == v
        if not ok:
            print("%s: %s is %r, expected %r (all: %s)" % (p, k, got[k], v, got))
            sys.exit(1)
PY
}

# --- reflection: client to client -------------------------------------------
cb=${CE_ADDR[c-bird]}
reflected=()
for p in 10.171.0.0/24 10.171.1.0/24 10.171.2.0/24; do
	reflected+=("$p;aspath=;nh=$cb;originator=$cb;clusters=$CLUSTER_ID;lp=200;comm=$HUB_AS:171")
done
bgp_wait 30 "c-bird's routes reflected to c-exa" exa_rib "${reflected[@]}"
for i in 1 2 3; do
	bgp_wait 10 "c-bird's routes on node $i" node_rib "$i" \
		"10.171.0.0/24||$HUB_AS:171" "10.171.2.0/24"
done
echo "c-exa got c-bird's routes with ORIGINATOR_ID, CLUSTER_LIST and LOCAL_PREF 200 (${SECONDS}s)"

# --- reflection: client to eBGP, and eBGP to client --------------------------
bgp_wait 20 "c-bird's routes at e-bird with the hub's AS in front" \
	ce_rib e-bird "10.171.0.0/24|$HUB_AS|$HUB_AS:171" "10.171.2.0/24|$HUB_AS|"
ebgp=()
for p in ${CE_R4KEEP[e-bird]} ${CE_R4GONE[e-bird]}; do
	ebgp+=("$p;aspath=65073;nh=$node3;originator=-;clusters=-;lp=100;comm=65073:100")
done
for p in ${CE_R6KEEP[e-bird]} ${CE_R6GONE[e-bird]}; do
	ebgp+=("$p;aspath=65073;nh=::ffff:$node3;originator=-;clusters=-;lp=100")
done
bgp_wait 20 "e-bird's routes at c-exa as sent, next hop node 3" exa_rib "${ebgp[@]}"
bgp_wait 10 "the VPCs' routes at c-exa" exa_rib \
	"10.1.0.0/24;aspath=;nh=$node3;originator=-;clusters=-;lp=100"
echo "eBGP to client: AS path unchanged, next hop self; client to eBGP: $HUB_AS prepended"

# --- loops: our cluster ID or our BGP identifier come back -------------------
# (sent after the looping ones on the same session, so once it is in,
# they have been dealt with)
echo "announce route 10.172.2.0/24 next-hop self cluster-list [ 192.0.2.9 ]" \
	>>"${CE_DIR[c-exa]}/cmds"
for i in 1 2 3; do
	bgp_wait 20 "c-exa's route with another cluster's ID on node $i" \
		node_rib "$i" "10.172.2.0/24"
done
for i in 1 2 3; do
	out=$(node_rib "$i" "!10.172.0.0/24" "!10.172.1.0/24") ||
		bgp_fail "node $i took a route that looped (RFC 4456): $out"
done
bgp_wait 20 "c-exa's route at e-bird" ce_rib e-bird "10.172.2.0/24|$HUB_AS|"
out=$(ce_rib e-bird "!10.172.0.0/24" "!10.172.1.0/24") ||
	bgp_fail "e-bird got a route that looped: $out"
adj=$(t_ctl 3 peer adj-in "${CE_ADDR[c-exa]}" 2>&1) ||
	bgp_fail "peer adj-in ${CE_ADDR[c-exa]} on node 3: $adj"
grep -q "10\.172\.2\.0/24" <<<"$adj" || bgp_fail "node 3's adj-in for c-exa: $adj"
grep -q "10\.172\.[01]\.0/24" <<<"$adj" &&
	bgp_fail "node 3 keeps looped routes from c-exa: $adj"
echo "routes with our cluster ID or BGP identifier were dropped"

# --- nobody gets its own routes back -----------------------------------------
adj=$(t_ctl 1 peer adj-out "$cb" 2>&1) || bgp_fail "peer adj-out $cb: $adj"
grep -q "10\.172\.2\.0/24" <<<"$adj" || bgp_fail "node 1 does not reflect c-exa's route to c-bird: $adj"
grep -q "10\.171\." <<<"$adj" && bgp_fail "node 1 sends c-bird its own routes: $adj"
out=$(exa_rib "!10.172.2.0/24") || bgp_fail "c-exa got its own route back: $out"

# --- a withdrawal is reflected ----------------------------------------------
birdc_q c-bird disable r4gone >/dev/null || bgp_fail "birdc disable r4gone"
bgp_wait 20 "c-bird's withdrawal at c-exa" exa_rib "!10.171.1.0/24" \
	"${reflected[0]}" "${reflected[2]}"
bgp_wait 20 "c-bird's withdrawal at e-bird" ce_rib e-bird "!10.171.1.0/24" \
	"10.171.0.0/24|$HUB_AS|"
echo "withdrawal reflected (${SECONDS}s)"
echo "integration/bgp_rr: ok"

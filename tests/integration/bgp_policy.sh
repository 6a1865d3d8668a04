#!/bin/bash
# bgp_policy.sh - what the model asks of a BGP session, against BIRD 2 routers
# on three cend nodes with --bgp-addr:
#
#  - TCP-MD5: a peer with the model's md5_key and the same password in BIRD
#    comes up and its routes arrive; a peer whose BIRD has another password
#    never gets a message through.
#  - Route maps, the hybrid example's way: a RegionOut Deny of the routes
#    from vbr-bu-b towards vbr-bu-a means the CE of vbr-bu-a never sees the
#    routes of vbr-bu-b's CE, while another CE (vbr-other) does; every node
#    still has them in its table.
#  - Max-prefix: a CE with route_quota 3 that sends 5 prefixes gets a Cease
#    (Maximum Number of Prefixes Reached), none of its prefixes stay, and it
#    stays down (Idle (PfxCt), "maximum prefixes" in `cenctl peer show` on
#    its node) through the hold-down.
set -euo pipefail
# shellcheck source=tests/integration/lib/cluster.bash
. "$(dirname "$0")/lib/cluster.bash"
# shellcheck source=tests/integration/lib/bgp.bash
. "$(dirname "$0")/lib/bgp.bash"

bgp_need bird || t_fail "BIRD 2 is required (Debian package bird2)"
bgp_cluster_start 3

ce_init m-bird bird 31 65031 # MD5, on node 2
ce_routes m-bird 31
ce_init x-bird bird 32 65032 # MD5 with the wrong password, on node 2
ce_routes x-bird 32
ce_init b-bird bird 33 65033 # vbr-bu-b's CE, on node 1
ce_routes b-bird 33
ce_init a-bird bird 34 65034 # vbr-bu-a's CE, on node 3
ce_init o-bird bird 35 65035 # vbr-other's CE, on node 3
ce_init q-bird bird 36 65036 # route_quota 3, on node 2
ce_routes q-bird 36
CE_R4KEEP[q-bird]="10.136.0.0/24 10.136.1.0/24 10.136.2.0/24 10.136.3.0/24 10.136.4.0/24"
CE_R4GONE[q-bird]="" CE_R6KEEP[q-bird]="" CE_R6GONE[q-bird]=""
{
	topo_head
	ce_peer_yaml m-bird 2 'md5_key: "md5-s3cret"' | vbr_yaml vbr-md5 31
	ce_peer_yaml x-bird 2 'md5_key: "right-key"' | vbr_yaml vbr-md5-bad 32
	ce_peer_yaml b-bird 1 | vbr_yaml vbr-bu-b 33
	ce_peer_yaml a-bird 3 | vbr_yaml vbr-bu-a 34
	ce_peer_yaml o-bird 3 | vbr_yaml vbr-other 35
	ce_peer_yaml q-bird 2 "route_quota: 3" | vbr_yaml vbr-quota 36
	cat <<EOF
route_maps:
  # business units stay apart: vbr-bu-a never learns vbr-bu-b's routes
  - region: cn-hangzhou
    direction: RegionOut
    priority: 10
    match:
      source_instance_ids: [vbr-bu-b]
      destination_instance_ids: [vbr-bu-a]
    action: Deny
EOF
} >"$T_WORK/topo.yaml"
t_ctl 1 apply -f "$T_WORK/topo.yaml" >/dev/null ||
	t_fail "apply of the topology failed: $(t_ctl 1 apply -f "$T_WORK/topo.yaml" 2>&1)"

bird_start m-bird 2 send md5=md5-s3cret
bird_start x-bird 2 send md5=wrong-key
bird_start b-bird 1 send
bird_start a-bird 3
bird_start o-bird 3
bird_start q-bird 2 send

# q-bird's state on node 2, recorded from now on (it must never be
# Established once the quota stopped it)
(
	while :; do
		echo "$(date +%T.%N) $(peer_state 2 "${CE_ADDR[q-bird]}")"
		sleep 0.3
	done
) >"$T_WORK/q-states" 2>/dev/null &
poller=$!
CE_PID[poller]=$poller # stopped with the routers

# --- max-prefix ---------------------------------------------------------------
pfxct()
{
	local out
	out=$(t_ctl 2 peer show "${CE_ADDR[q-bird]}" 2>&1) || return 1
	if ! grep -q "BGP state = Idle (PfxCt)" <<<"$out" ||
		! grep -q "maximum prefixes" <<<"$out"; then
		echo "$out"
		return 1
	fi
}
bgp_wait 30 "q-bird (5 prefixes, quota 3) to be stopped for max-prefix" pfxct
pfxct_at=$SECONDS
t_ctl 2 peer show "${CE_ADDR[q-bird]}"
# (BIRD logs the Cease once it has read it: wait for the line)
cease_logged()
{
	grep -qi "maximum number of prefixes" "${CE_DIR[q-bird]}/bird.log"
}
t_wait_quiet()
{
	local deadline=$((SECONDS + $1))
	while ! cease_logged; do
		[ $SECONDS -ge $deadline ] && return 1
		sleep 0.1
	done
}
t_wait_quiet 10 ||
	bgp_fail "q-bird got no Cease/Maximum Number of Prefixes: $(grep -i hub "${CE_DIR[q-bird]}/bird.log")"

# --- MD5 ----------------------------------------------------------------------
bgp_wait 30 "m-bird (MD5) Established on node 2" \
	peer_established 2 "${CE_ADDR[m-bird]}"
bgp_wait 10 "m-bird's session up on its side" bird_up m-bird
m_routes=()
for p in ${CE_R4KEEP[m-bird]}; do
	m_routes+=("$p|$HUB_AS ${CE_AS[m-bird]}|${CE_AS[m-bird]}:100")
done
bgp_wait 20 "m-bird's routes at o-bird" ce_rib o-bird "${m_routes[@]}"
echo "MD5 session up, its routes arrived"

# --- route map: vbr-bu-b's routes never reach vbr-bu-a's CE -------------------
b_routes=() b_prefixes=() b_absent=()
for p in ${CE_R4KEEP[b-bird]} ${CE_R4GONE[b-bird]}; do
	b_routes+=("$p|$HUB_AS ${CE_AS[b-bird]}|${CE_AS[b-bird]}:100")
	b_prefixes+=("$p")
	b_absent+=("!$p")
done
bgp_wait 20 "b-bird's routes at o-bird" ce_rib o-bird "${b_routes[@]}"
for i in 1 2 3; do
	bgp_wait 10 "b-bird's routes on node $i" node_rib "$i" "${b_prefixes[@]}"
done
# a-bird has what the others sent (the VPCs', m-bird's), and not b-bird's
bgp_wait 20 "m-bird's and the VPCs' routes at a-bird" ce_rib a-bird \
	"${m_routes[@]}" "10.1.0.0/24|$HUB_AS|" "10.2.0.0/24|$HUB_AS|"
out=$(ce_rib a-bird "${b_absent[@]}") ||
	bgp_fail "a-bird (vbr-bu-a) got vbr-bu-b's routes despite the Deny: $out"
adj=$(t_ctl 3 peer adj-out "${CE_ADDR[a-bird]}" 2>&1) ||
	bgp_fail "peer adj-out ${CE_ADDR[a-bird]} on node 3: $adj"
grep -q "10\.133\." <<<"$adj" &&
	bgp_fail "node 3 advertises vbr-bu-b's routes to a-bird: $adj"
grep -q "10\.131\.0\.0/24" <<<"$adj" ||
	bgp_fail "node 3's adj-out for a-bird lacks m-bird's route: $adj"
# what was sent, not what was learned: our AS in front
grep -Eq "10\.131\.0\.0/24 +$HUB_AS ${CE_AS[m-bird]}( |$)" <<<"$adj" ||
	bgp_fail "node 3's adj-out for a-bird does not show the exported AS path ($HUB_AS ${CE_AS[m-bird]}): $adj"
echo "route map: a-bird never saw vbr-bu-b's routes, o-bird did"

# --- the wrong MD5 password: nothing gets through -----------------------------
out=$(t_ctl 2 peer show "${CE_ADDR[x-bird]}")
grep -q "BGP state = Established" <<<"$out" &&
	bgp_fail "x-bird came up with the wrong MD5 password: $out"
grep -q "Messages: 0 received" <<<"$out" ||
	bgp_fail "x-bird (wrong MD5 password) got messages through: $out"
bird_up x-bird && bgp_fail "x-bird thinks its session is up"

# --- max-prefix, continued: none of q-bird's prefixes stay, and it stays down -
q_absent=()
for p in ${CE_R4KEEP[q-bird]}; do
	q_absent+=("!$p")
done
for i in 1 2 3; do
	bgp_wait 10 "q-bird's prefixes to go from node $i" node_rib "$i" "${q_absent[@]}"
done
bgp_wait 10 "q-bird's prefixes to go from o-bird" ce_rib o-bird "${q_absent[@]}"
# stays down: watched for at least 10 s after it went down (the hold-down
# is 30 s)
stays_down_long_enough() { [ $((SECONDS - pfxct_at)) -ge 10 ]; }
t_wait 20 "10 s of q-bird's hold-down" stays_down_long_enough
kill "$poller" 2>/dev/null || true
wait "$poller" 2>/dev/null || true
unset "CE_PID[poller]"
# every state recorded after the first Idle (PfxCt) is Idle (PfxCt)
awk '/PfxCt/ { down = 1 } down && !/PfxCt/' "$T_WORK/q-states" >"$T_WORK/q-bad"
grep -q PfxCt "$T_WORK/q-states" || bgp_fail "q-bird was never seen Idle (PfxCt)"
[ ! -s "$T_WORK/q-bad" ] ||
	bgp_fail "q-bird left Idle (PfxCt) during its hold-down: $(head -3 "$T_WORK/q-bad")"
bird_up q-bird && bgp_fail "q-bird's session is up on its side during the hold-down"
pfxct || bgp_fail "q-bird is no longer Idle (PfxCt)"
echo "max-prefix: q-bird stopped and held down"
echo "integration/bgp_policy: ok"

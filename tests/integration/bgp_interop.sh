#!/bin/bash
# bgp_interop.sh - cend's BGP speaker against real routers.  Three nodes, each
# with --bgp-addr; for each kind of router installed (BIRD 2 always; FRR
# bgpd, GoBGP, OpenBGPD and ExaBGP when their packages are there) a SENDER
# attached (VBR) through node 1 and a RECEIVER attached through node 3.
#
# For every sender: its IPv4 and IPv6 routes reach every receiver (BIRD's
# and the others) with AS path "45104 <sender AS>" and the sender's
# community, and `cenctl route list` on every node (as "<sender AS>"); a
# route the sender withdraws goes everywhere, the others stay; and the
# sender's end - a clean stop (Cease), a kill (TCP closed), or a frozen
# process (hold timer, 9 s) - withdraws all its routes everywhere, while the
# receivers' sessions and the hub's own routes stay.  BIRD and FRR announce
# graceful restart without families ("aware"/helper): that keeps nothing.
#
# A kind whose package is not installed is skipped with a SKIP line; BIRD is
# required.  GoBGP refuses IPv4 routes whose next hop is a loopback address
# (its NEXT_HOP check), and every address here is one, so the GoBGP
# receiver is checked on IPv6 routes only.
set -euo pipefail
# shellcheck source=tests/integration/lib/cluster.bash
. "$(dirname "$0")/lib/cluster.bash"
# shellcheck source=tests/integration/lib/bgp.bash
. "$(dirname "$0")/lib/bgp.bash"

bgp_need bird || t_fail "BIRD 2 is required (Debian package bird2)"
kinds=(bird)
for k in frr gobgp openbgpd exabgp; do
	if bgp_need "$k"; then
		kinds+=("$k")
	fi
done
echo "routers: ${kinds[*]}"

bgp_cluster_start 3

# --- the topology: one VBR per router, senders on node 1, receivers on 3 ---
i=0
for k in "${kinds[@]}"; do
	i=$((i + 1))
	ce_init "s-$k" "$k" $((10 + i)) $((65000 + i))
	ce_routes "s-$k" "$i"
	ce_init "r-$k" "$k" $((20 + i)) $((65100 + i))
done
{
	topo_head
	i=0
	for k in "${kinds[@]}"; do
		i=$((i + 1))
		ce_peer_yaml "s-$k" 1 "ipv6: true" | vbr_yaml "vbr-s-$k" $((10 + i))
		ce_peer_yaml "r-$k" 3 "ipv6: true" | vbr_yaml "vbr-r-$k" $((20 + i))
	done
} >"$T_WORK/topo.yaml"
t_ctl 2 apply -f "$T_WORK/topo.yaml" >/dev/null ||
	t_fail "apply of the topology failed"

for k in "${kinds[@]}"; do
	ce_start "s-$k" 1 send v6
	ce_start "r-$k" 3 v6
done
sessions_up()
{
	local k
	for k in "${kinds[@]}"; do
		peer_established 1 "${CE_ADDR[s-$k]}" ||
			{ echo "s-$k: $(peer_state 1 "${CE_ADDR[s-$k]}")"; return 1; }
		peer_established 3 "${CE_ADDR[r-$k]}" ||
			{ echo "r-$k: $(peer_state 3 "${CE_ADDR[r-$k]}")"; return 1; }
	done
}
bgp_wait 40 "every session Established" sessions_up
echo "every session is up (${SECONDS}s)"

# specs K WHAT: ce_rib specs for sender s-K's routes: WHAT is keep, gone or
# all, prefixed with ! for their absence; hub=1 for what a receiver sees
# (the hub's AS in front), v4=0 to leave IPv4 out.
specs()
{
	local k=$1 what=$2 hub=${3:-1} v4=${4:-1} p ps="" path
	local as=${CE_AS[s-$k]} neg=""
	[ "${what:0:1}" = "!" ] && neg="!" what=${what:1}
	[ "$what" != gone ] && ps+=" ${CE_R6KEEP[s-$k]}" &&
		[ "$v4" = 1 ] && ps+=" ${CE_R4KEEP[s-$k]}"
	[ "$what" != keep ] && ps+=" ${CE_R6GONE[s-$k]}" &&
		[ "$v4" = 1 ] && ps+=" ${CE_R4GONE[s-$k]}"
	path=$as
	[ "$hub" = 1 ] && path="$HUB_AS $as"
	for p in $ps; do
		if [ -n "$neg" ]; then
			echo "!$p"
		else
			echo "$p|$path|$as:100"
		fi
	done
}

# everywhere WHAT: the specs of every sender for WHAT (see specs) hold at
# every receiver and on every node (one look at each per call).
everywhere()
{
	local k r i v4 out sp
	for r in "${kinds[@]}"; do
		v4=1
		[ "$r" = gobgp ] && v4=0
		sp=()
		for k in "${senders[@]}"; do
			mapfile -t -O "${#sp[@]}" sp < <(specs "$k" "$1" 1 $v4)
		done
		out=$(ce_rib "r-$r" "${sp[@]}") ||
			{ echo "receiver r-$r: $out"; return 1; }
	done
	sp=()
	for k in "${senders[@]}"; do
		mapfile -t -O "${#sp[@]}" sp < <(specs "$k" "$1" 0)
	done
	for i in 1 2 3; do
		out=$(node_rib "$i" "${sp[@]}") ||
			{ echo "node $i: $out"; return 1; }
	done
}

# --- every sender's routes arrive everywhere with their attributes ---------
senders=("${kinds[@]}")
bgp_wait 30 "every sender's routes at every receiver and node" everywhere all
# the hub's own routes (the VPCs) arrive with the hub's AS alone
for k in "${kinds[@]}"; do
	v=("10.1.0.0/24|$HUB_AS|" "10.2.0.0/24|$HUB_AS|")
	[ "$k" = gobgp ] && v=()
	bgp_wait 10 "the VPC routes at r-$k" ce_rib "r-$k" "${v[@]}"
done
# a sender does not get its own routes back (its AS is in the path)
for k in "${kinds[@]}"; do
	[ "$k" = bird ] || continue
	out=$(birdc_q "s-$k" show route protocol hub all 2>&1)
	grep -q "10\.10[0-9]\.[0-9]\.0/24.*AS${CE_AS[s-$k]}" <<<"$out" &&
		bgp_fail "s-$k got its own routes back: $out"
done
echo "routes of ${kinds[*]} arrived at every receiver and node (${SECONDS}s)"

# --- withdrawals ------------------------------------------------------------
for k in "${kinds[@]}"; do
	ce_withdraw "s-$k" || bgp_fail "s-$k: withdraw command failed"
done
withdrawn()
{
	everywhere '!gone' && everywhere keep
}
bgp_wait 30 "the withdrawn routes to go everywhere (and the others to stay)" withdrawn
echo "withdrawals propagated (${SECONDS}s)"

# --- the senders stop: their routes go everywhere ---------------------------
# bird freezes (the hold timer, 9 s, ends the session), frr and exabgp are
# killed (the TCP connection closes), gobgp and openbgpd stop cleanly
# (a Cease NOTIFICATION)
declare -A how=([bird]=freeze [frr]=kill [exabgp]=kill [gobgp]=stop
	[openbgpd]=stop)
stopped_at=$SECONDS
for k in "${kinds[@]}"; do
	case ${how[$k]} in
	freeze) kill -STOP "${CE_PID[s-$k]}" ;;
	kill) ce_kill "s-$k" ;;
	stop) ce_stop "s-$k" ;;
	esac
done
gone_everywhere()
{
	everywhere '!all'
}
bgp_wait 40 "every stopped sender's routes to go everywhere" gone_everywhere
echo "stopped senders' routes withdrawn after $((SECONDS - stopped_at))s"
for k in "${kinds[@]}"; do
	state=$(peer_state 1 "${CE_ADDR[s-$k]}")
	[ "$state" != Established ] ||
		bgp_fail "node 1 still has s-$k Established after it stopped"
done
# the receivers' sessions stayed up throughout, with the hub's own routes
for k in "${kinds[@]}"; do
	peer_established 3 "${CE_ADDR[r-$k]}" ||
		bgp_fail "r-$k's session went down: $(t_ctl 3 peer show "${CE_ADDR[r-$k]}")"
	[ "$k" = gobgp ] && continue
	out=$(ce_rib "r-$k" "10.1.0.0/24|$HUB_AS|" "10.2.0.0/24|$HUB_AS|") ||
		bgp_fail "r-$k lost the VPC routes: $out"
done
echo "integration/bgp_interop: ok (${kinds[*]})"

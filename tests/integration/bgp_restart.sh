#!/bin/bash
# bgp_restart.sh - graceful restart across a cend node restart, with BIRD 2.
# Node 1 holds the session with a sending CE (IPv4 and IPv6 routes), node 3
# the session with a receiving CE.  Node 1 is stopped with SIGTERM and
# started again:
#
#  - the receiving CE never loses the sender's routes, and neither does any
#    node's `cenctl route list` (polled all through the restart);
#  - the sender's session comes back on node 1, and what the sender stopped
#    announcing while node 1 was down goes everywhere once it has sent its
#    table again (End-of-RIB), while the rest stays;
#  - the restarted node carries on: a route the sender announces afterwards
#    arrives everywhere.
#
# Then the sender itself restarts gracefully (BIRD with graceful restart on
# for both families, killed and started again with -R): cend, the helper,
# keeps its routes all through (polled again), drops at its End-of-RIB what
# it does not announce any more, and a withdrawal after that goes
# everywhere.
set -euo pipefail
# shellcheck source=tests/integration/lib/cluster.bash
. "$(dirname "$0")/lib/cluster.bash"
# shellcheck source=tests/integration/lib/bgp.bash
. "$(dirname "$0")/lib/bgp.bash"

bgp_need bird || t_fail "BIRD 2 is required (Debian package bird2)"
bgp_cluster_start 3

ce_init g-bird bird 41 65041 # the sender, on node 1
ce_routes g-bird 41
ce_init h-bird bird 42 65042 # the receiver, on node 3
{
	topo_head
	ce_peer_yaml g-bird 1 "ipv6: true" | vbr_yaml vbr-gr-s 41
	ce_peer_yaml h-bird 3 "ipv6: true" | vbr_yaml vbr-gr-r 42
} >"$T_WORK/topo.yaml"
t_ctl 2 apply -f "$T_WORK/topo.yaml" >/dev/null || t_fail "apply failed"
bird_start g-bird 1 send v6 gr
bird_start h-bird 3 v6

as=${CE_AS[g-bird]}
keep=() keep_nodes=() gone=() gone_nodes=()
for p in ${CE_R4KEEP[g-bird]} ${CE_R6KEEP[g-bird]}; do
	keep+=("$p|$HUB_AS $as|$as:100")
	keep_nodes+=("$p|$as|$as:100")
done
for p in ${CE_R4GONE[g-bird]} ${CE_R6GONE[g-bird]}; do
	gone+=("$p|$HUB_AS $as|$as:100")
	gone_nodes+=("!$p")
done
bgp_wait 40 "g-bird's routes at h-bird" ce_rib h-bird "${keep[@]}" "${gone[@]}"
for i in 1 2 3; do
	bgp_wait 10 "g-bird's routes on node $i" node_rib "$i" "${keep_nodes[@]}"
done
echo "g-bird's routes are everywhere"

# poll SPECS_AT_RECEIVER -- SPECS_ON_NODES: in the background, checks the
# receiver and nodes 1-3 (those that answer) over and over, one line each
# ("ok" or "LOST ...") into T_WORK/polls.
poll()
{
	local rx=() nd=()
	while [ "$1" != -- ]; do
		rx+=("$1")
		shift
	done
	shift
	nd=("$@")
	: >"$T_WORK/polls"
	(
		while :; do
			if out=$(ce_rib h-bird "${rx[@]}"); then
				echo "$(date +%T.%N) h-bird ok"
			else
				echo "$(date +%T.%N) h-bird LOST $out"
			fi
			for i in 1 2 3; do
				# (a node that does not answer is not checked)
				if out=$(node_rib "$i" "${nd[@]}"); then
					echo "$(date +%T.%N) node$i ok"
				elif [[ $out != "node $i:"* ]]; then
					echo "$(date +%T.%N) node$i LOST $out"
				fi
			done
		done
	) >>"$T_WORK/polls" 2>&1 &
	CE_PID[poller]=$! # stopped with the routers
	t_wait 10 "the poller's first rounds" polled h-bird 2
}

polled()
{
	[ "$(grep -c "$1 ok" "$T_WORK/polls")" -ge "$2" ]
}

# poll_end WHAT: stops the poller after one more round; fails if anything
# was lost.
poll_end()
{
	local n
	n=$(grep -c "h-bird ok" "$T_WORK/polls")
	t_wait 10 "a last poll round" polled h-bird $((n + 1))
	kill "${CE_PID[poller]}" 2>/dev/null || true
	wait "${CE_PID[poller]}" 2>/dev/null || true
	unset "CE_PID[poller]"
	if grep LOST "$T_WORK/polls" >"$T_WORK/lost"; then
		bgp_fail "g-bird's routes were lost during $1: $(head -3 "$T_WORK/lost")"
	fi
	echo "no route lost during $1 ($(grep -c ok "$T_WORK/polls") polls)"
}

poll "${keep[@]}" -- "${keep_nodes[@]}"

# --- restart node 1 -----------------------------------------------------------
t_node_stop 1
echo "node 1 stopped"
# while it is down the sender stops announcing some routes; nobody can hear
# it yet
bird_withdraw g-bird || bgp_fail "birdc disable failed"
# the others keep g-bird's routes meanwhile (two more poll rounds at least)
n=$(grep -c "h-bird ok" "$T_WORK/polls")
t_wait 10 "poll rounds while node 1 is down" polled h-bird $((n + 2))
bgp_node_start 1
bgp_wait 30 "g-bird Established on node 1 again" \
	peer_established 1 "${CE_ADDR[g-bird]}"
echo "g-bird is back on node 1"

# what g-bird no longer announces goes once it has sent its table again
gone_at_receiver()
{
	local s out
	for s in "${gone[@]}"; do
		out=$(ce_rib h-bird "!${s%%|*}") || { echo "$out"; return 1; }
	done
	ce_rib h-bird "${keep[@]}"
}
bgp_wait 30 "what g-bird withdrew during the restart to go from h-bird" gone_at_receiver
for i in 1 2 3; do
	bgp_wait 10 "the same on node $i" node_rib "$i" "${keep_nodes[@]}" "${gone_nodes[@]}"
done
poll_end "the restart of node 1"

# --- the restarted node carries on ---------------------------------------------
# (what was withdrawn is left out of the configuration from now on)
CE_R4GONE[g-bird]="" CE_R6GONE[g-bird]=""
BIRD_EXTRA=("r4late 10.141.4.0/24" "r4late2 10.141.5.0/24")
bird_conf g-bird 1 send v6 gr
birdc_q g-bird configure >/dev/null || bgp_fail "birdc configure failed"
late=("10.141.4.0/24|$HUB_AS $as|$as:100" "10.141.5.0/24|$HUB_AS $as|$as:100")
bgp_wait 20 "routes g-bird announced after the restart at h-bird" \
	ce_rib h-bird "${late[@]}"
for i in 1 2 3; do
	bgp_wait 10 "the same on node $i" node_rib "$i" 10.141.4.0/24 10.141.5.0/24
done
echo "routes announced after the restart arrived"

# --- the sender restarts gracefully ----------------------------------------------
poll "${keep[@]}" "${late[1]}" -- "${keep_nodes[@]}" 10.141.5.0/24
ce_kill g-bird
BIRD_EXTRA=("r4late2 10.141.5.0/24")
bird_start g-bird 1 send v6 gr recover
bgp_wait 30 "g-bird Established on node 1 after its restart" \
	peer_established 1 "${CE_ADDR[g-bird]}"
bgp_wait 30 "what g-bird no longer has to go from h-bird" \
	ce_rib h-bird "!10.141.4.0/24" "${late[1]}" "${keep[@]}"
for i in 1 2 3; do
	bgp_wait 10 "the same on node $i" node_rib "$i" "!10.141.4.0/24"
done
poll_end "g-bird's graceful restart"
birdc_q g-bird disable r4late2 >/dev/null
bgp_wait 20 "a withdrawal after g-bird's restart at h-bird" \
	ce_rib h-bird "!10.141.5.0/24" "${keep[@]}"
for i in 1 2 3; do
	bgp_wait 10 "the same on node $i" node_rib "$i" "!10.141.5.0/24"
done
echo "integration/bgp_restart: ok"

#!/bin/bash
# cluster_membership.sh - growing a cluster from 3 to 5 voters and shrinking
# it back to 3 while a writer keeps writing: nodes 4 and 5 join as spares
# (--join) and are promoted one at a time, each caught up before the next; leadership moves to
# node 4 (`leader transfer`), which is then removed while it leads, and
# node 5 is removed after it.  Every acknowledged write is on the 3 nodes
# left, which converge to one state.
set -euo pipefail
# shellcheck source=tests/integration/lib/cluster.bash
. "$(dirname "$0")/lib/cluster.bash"
topo=$CEND_SOURCE_DIR/examples/hybrid.yaml

for i in 1 2 3 4 5; do t_node_init $i; done
list=$(t_cluster_list 3)
for i in 1 2 3; do t_node_start $i --initial-cluster "$list"; done
t_wait 20 "a leader" t_has_leader 1 2 3
# right after an election a follower may not know the leader's API address
# yet ("no leader is known yet; retry"): apply (idempotent) until it takes
t_wait 20 "the topology to apply through node 1" t_ctl 1 apply -f "$topo"
t_wait 15 "every node to converge after apply" t_converged 1 2 3

# The members as "ID:role" words, sorted, as node $1 sees them.
members()
{
	t_ctl "$1" -w json member list | python3 -c '
import json, sys
print(" ".join(sorted("%d:%s" % (m["id"], m["role"]) for m in json.load(sys.stdin))))'
}
members_are() { [ "$(members "$1")" = "$2" ]; }
# member_is ID ID:ROLE: node ID lists that member with that role.
member_is() { members "$1" | grep -qw "$2"; }
# Node $1 has applied at least index $2.
applied_at_least() { [ "$(t_status_field "$1" applied_index)" -ge "$2" ]; }
leader_index() { t_status_field "$(t_leader 1 2 3 4 5)" applied_index; }

# --- a writer through the three nodes that stay ----------------------------
acked=$T_WORK/acked
stop=$T_WORK/stop-writer
: >"$acked"
(
	k=0
	while [ ! -e "$stop" ] && [ $k -lt 5000 ]; do
		k=$((k + 1))
		p="198.18.$((k / 256)).$((k % 256))/32"
		if "$CENCTL" --endpoints "${T_API[1]},${T_API[2]},${T_API[3]}" \
			--timeout 4000 route add "$p" --attachment vbr-dc-1 \
			--peer 127.0.0.11 >/dev/null 2>&1; then
			echo "$p" >>"$acked"
		fi
	done
) &
writer=$!
nacked() { wc -l <"$acked"; }
acked_at_least() { [ "$(nacked)" -ge "$1" ]; }
t_wait 20 "the writer's first writes" acked_at_least 20

# --- grow: 4 and 5 join as spares, catch up, are promoted ------------------
for id in 4 5; do
	t_node_start $id --join "${T_API[1]}"
	t_wait 20 "node $id to join as a spare" member_is 1 "$id:spare"
	# a spare gets no log; promoting it makes the leader catch it up
	# before it counts as a voter
	t_ctl 2 member promote $id >"$T_WORK/promote$id.out" ||
		t_fail "member promote $id: $(cat "$T_WORK/promote$id.out")"
	t_wait 10 "node $id to be a voter" member_is 1 "$id:voter"
	idx=$(leader_index)
	t_wait 30 "node $id to catch up to index $idx" applied_at_least $id "$idx"
	n=$(nacked)
	t_wait 20 "writes to go on after promoting $id" acked_at_least $((n + 5))
done
members_are 3 "1:voter 2:voter 3:voter 4:voter 5:voter" ||
	t_fail "expected 5 voters, node 3 sees: $(members 3)"
echo "5 voters; $(nacked) writes acknowledged so far"

# --- leadership to node 4, then remove node 4 while it leads ---------------
old=$(t_leader 1 2 3 4 5)
t_ctl 1 leader transfer 4 >/dev/null || t_fail "leader transfer 4"
t_wait 10 "node 4 to lead" t_is_leader 4
echo "leader moved from node $old to node 4"
t_ctl 2 member remove 4 >"$T_WORK/remove4.out" 2>&1 ||
	echo "member remove 4 (the leader) answered: $(cat "$T_WORK/remove4.out")"
t_wait 15 "node 4 to be gone from the configuration" \
	members_are 1 "1:voter 2:voter 3:voter 5:voter"
t_wait 15 "a new leader among 1, 2, 3, 5" t_has_leader 1 2 3 5
t_node_stop 4
n=$(nacked)
t_wait 20 "writes to go on after removing the leader" acked_at_least $((n + 5))

# --- remove node 5 -----------------------------------------------------------
t_ctl 3 member remove 5 >"$T_WORK/remove5.out" 2>&1 ||
	t_fail "member remove 5: $(cat "$T_WORK/remove5.out")"
t_wait 15 "node 5 to be gone" members_are 1 "1:voter 2:voter 3:voter"
t_node_stop 5
n=$(nacked)
t_wait 20 "writes to go on with 3 voters" acked_at_least $((n + 5))
touch "$stop"
wait $writer || true
echo "$(nacked) writes acknowledged; leader now node $(t_leader 1 2 3)"

# --- three voters left; every acknowledged write on each ------------------
for i in 1 2 3; do
	members_are $i "1:voter 2:voter 3:voter" ||
		t_fail "node $i sees members: $(members $i)"
done
t_wait 20 "nodes 1-3 to converge" t_converged 1 2 3
for i in 1 2 3; do
	t_ctl "$i" -w json route list --table rt-hz-system >"$T_WORK/after$i.json" ||
		t_fail "route list on node $i"
	python3 - "$acked" "$T_WORK/after$i.json" "$i" <<'PY' || t_fail "acknowledged writes missing on node $i"
import json, sys
have = {r["prefix"] for r in json.load(open(sys.argv[2]))}
missing = [p for p in open(sys.argv[1]).read().split() if p not in have]
if missing:
    print("node %s lacks %d acknowledged writes, e.g. %s" % (sys.argv[3], len(missing), missing[:5]))
    sys.exit(1)
PY
done
cmp -s "$T_WORK/after1.json" "$T_WORK/after2.json" &&
	cmp -s "$T_WORK/after1.json" "$T_WORK/after3.json" ||
	t_fail "route lists differ between nodes"
echo "integration/cluster_membership: ok"

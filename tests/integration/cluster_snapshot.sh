#!/bin/bash
# cluster_snapshot.sh - Raft snapshots and their installation: three nodes
# that snapshot every 64 entries (keeping 16); node 3, made the leader, is
# stopped with SIGTERM (it hands leadership over first, so a leader is there
# the moment it is gone) and a few hundred route writes go to the other two,
# which snapshot and compact their logs; started again, node 3 is far behind
# the leader's log and must install a snapshot, then converge to the same
# state hash and the same routes as the others, with nothing alarming in its
# log.
set -euo pipefail
# shellcheck source=tests/integration/lib/cluster.bash
. "$(dirname "$0")/lib/cluster.bash"
topo=$CEND_SOURCE_DIR/examples/hybrid.yaml
snap=(--snapshot-threshold 64 --snapshot-trailing 16)
nwrites=320

for i in 1 2 3; do t_node_init $i; done
list=$(t_cluster_list 3)
for i in 1 2 3; do t_node_start $i --initial-cluster "$list" "${snap[@]}"; done
t_wait 20 "a leader" t_has_leader 1 2 3
# right after an election a follower may not know the leader's API address
# yet ("no leader is known yet; retry"): apply (idempotent) until it takes
t_wait 20 "the topology to apply through node 1" t_ctl 1 apply -f "$topo"
t_wait 15 "every node to converge after apply" t_converged 1 2 3

# --- node 3, the leader, goes away; the others write on --------------------
# SIGTERM on a leader hands leadership over first: when node 3 has exited,
# node 1 or 2 already leads (no election timeout without a leader)
if ! t_is_leader 3; then
	t_ctl 1 leader transfer 3 >/dev/null || t_fail "leader transfer to node 3"
	t_wait 10 "node 3 to lead" t_is_leader 3
fi
t_node_stop 3
t_leader 1 2 >/dev/null || t_fail "no leader right after the leader stopped"
grep -q "handing leadership over" "$T_WORK/node3.log" ||
	t_fail "node 3 did not hand leadership over on SIGTERM"
idx_before=$(t_status_field 1 applied_index)
# four writers in parallel, each through nodes 1 and 2; every write must be
# acknowledged (two of three nodes are up); a write refused is tried again
# (twice at most: a loaded machine may see an election), and counted
writer()
{
	local w=$1 k p try
	for ((k = w; k < nwrites; k += 4)); do
		p="198.18.$((k / 256)).$((k % 256))/32"
		for try in 1 2 3; do
			"$CENCTL" --endpoints "${T_API[1]},${T_API[2]}" \
				--timeout 5000 route add "$p" \
				--attachment vbr-dc-1 --peer 127.0.0.11 \
				>/dev/null 2>>"$T_WORK/writer$w.err" && break
			[ "$try" -lt 3 ] || return 1
			echo "$p" >>"$T_WORK/retried"
		done
	done
}
wstart=$SECONDS
pids=()
for w in 0 1 2 3; do
	writer $w &
	pids+=($!)
done
for p in "${pids[@]}"; do
	wait "$p" || t_fail "a write was refused with node 3 down: $(cat "$T_WORK"/writer*.err)"
done
echo "$nwrites writes acknowledged in $((SECONDS - wstart))s" \
	"($(cat "$T_WORK/retried" 2>/dev/null | wc -l) tried again)"
t_wait 15 "nodes 1 and 2 to converge" t_converged 1 2
idx_after=$(t_status_field 1 applied_index)
echo "node 3 stopped at index $idx_before; the others are at $idx_after"
[ $((idx_after - idx_before)) -ge 64 ] ||
	t_fail "only $((idx_after - idx_before)) entries written: no snapshot threshold crossed"
has_snapshot() { compgen -G "$T_WORK/node$1/raft/snapshot-*" >/dev/null; }
t_wait 15 "node 1 to take a snapshot" has_snapshot 1
t_wait 15 "node 2 to take a snapshot" has_snapshot 2
ls "$T_WORK/node1/raft" >"$T_WORK/raft1.ls"
echo "node 1 raft dir: $(tr '\n' ' ' <"$T_WORK/raft1.ls")"
# compaction: the log no longer starts at index 1 (no closed segment
# 0000000000000001-...) and holds far fewer entries than were written
if grep -q '^0*1-' "$T_WORK/raft1.ls"; then
	t_fail "node 1 kept its first log segment after snapshotting"
fi

# --- node 3 comes back and installs a snapshot -----------------------------
# node 3 stopped long before the first snapshot: a snapshot file in its
# raft directory can only be one it installed from the leader
if has_snapshot 3; then
	t_fail "node 3 took a snapshot before it was stopped (index $idx_before)"
fi
start=$SECONDS
t_node_start 3 "${snap[@]}"
t_wait 40 "node 3 to converge" t_converged 1 2 3
echo "node 3 caught up in $((SECONDS - start))s"
t_wait 15 "node 3 to hold the installed snapshot" has_snapshot 3
echo "node 3 installed $(cd "$T_WORK/node3/raft" && ls snapshot-*[0-9] | tr '\n' ' ')"
for i in 1 2 3; do
	t_ctl "$i" -w json route list --region cn-hangzhou >"$T_WORK/routes$i.json" ||
		t_fail "route list on node $i"
done
cmp -s "$T_WORK/routes1.json" "$T_WORK/routes2.json" &&
	cmp -s "$T_WORK/routes1.json" "$T_WORK/routes3.json" ||
	t_fail "route lists differ between nodes"
for k in 0 $((nwrites / 2)) $((nwrites - 1)); do
	p="198.18.$((k / 256)).$((k % 256))/32"
	grep -q "\"$p\"" "$T_WORK/routes3.json" || t_fail "$p missing on node 3"
done
# the last write also lands on node 3 (it replicates after the snapshot)
t_ctl 3 route add 198.18.200.1/32 --attachment vbr-dc-1 --peer 127.0.0.11 \
	>/dev/null || t_fail "a write through node 3 failed"
t_wait 10 "convergence after a write through node 3" t_converged 1 2 3
if grep -iE 'fail|error|corrupt|abort|assert|skipped|sanitizer' "$T_WORK/node3.log"; then
	t_fail "node 3's log shows trouble"
fi
echo "integration/cluster_snapshot: ok"

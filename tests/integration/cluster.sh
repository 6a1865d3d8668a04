#!/bin/bash
# cluster.sh - three cend nodes on 127.0.X.1-3: the reference topology
# applied through a follower reaches every node (same state hash, same
# routes), also when it is sent before the first leader is elected; applying
# it again is a no-op; removing an item and re-applying
# removes it; a bad file is refused with its lines and changes nothing; the
# leader killed with SIGKILL during a stream of writes is replaced, every
# acknowledged write survives on every node, and the killed node comes back
# and converges.
set -euo pipefail
# shellcheck source=tests/integration/lib/cluster.bash
. "$(dirname "$0")/lib/cluster.bash"
topo=$CEND_SOURCE_DIR/examples/hybrid.yaml

for i in 1 2 3; do t_node_init $i; done
list=$(t_cluster_list 3)
for i in 1 2 3; do t_node_start $i --initial-cluster "$list"; done
# a write sent while the nodes elect their first leader (their APIs answer
# at once, the election takes a timeout) waits for the election: cenctl
# tries the round again within --timeout instead of failing
t_wait 10 "node 2's API" t_ctl 2 endpoint status
t_ctl 2 --timeout 15000 apply -f "$topo" >"$T_WORK/apply0.out" 2>&1 ||
	t_fail "an apply during the first election failed: $(cat "$T_WORK/apply0.out")"
t_wait 20 "a leader" t_has_leader 1 2 3
leader=$(t_leader 1 2 3)
follower=$(( leader % 3 + 1 ))
echo "leader is node $leader; applying through node $follower"

# --- apply through a follower --------------------------------------------
t_ctl "$follower" apply -f "$topo" >"$T_WORK/apply1.out" ||
	t_fail "apply through a follower failed: $(cat "$T_WORK/apply1.out")"
t_wait 10 "every node to converge after apply" t_converged 1 2 3
hash=$(t_status_field 1 state_hash)
for i in 1 2 3; do
	t_ctl "$i" -w json route list --region cn-hangzhou >"$T_WORK/routes$i.json" ||
		t_fail "route list on node $i"
done
cmp -s "$T_WORK/routes1.json" "$T_WORK/routes2.json" &&
	cmp -s "$T_WORK/routes1.json" "$T_WORK/routes3.json" ||
	t_fail "route lists differ between nodes"
grep -q '10.1.0.0/24' "$T_WORK/routes1.json" || t_fail "route list lacks vpc-bu-a's CIDR"

# --- watch: another node streams the writes as events and FIB changes -----
watcher=$(( follower % 3 + 1 ))
t_ctl "$watcher" watch events >"$T_WORK/events.txt" 2>&1 &
events_pid=$!
t_ctl "$watcher" watch routes >"$T_WORK/watch-routes.txt" 2>&1 &
routes_pid=$!
k=0
watched()
{
	k=$((k + 1))
	t_ctl "$follower" route add "198.19.$k.0/24" --attachment vbr-dc-1 \
		--peer 127.0.0.11 >/dev/null 2>&1 || return 1
	grep -q "command paths vbr-dc-1" "$T_WORK/events.txt" &&
		grep -q "198.19.$k.0/24" "$T_WORK/watch-routes.txt"
}
t_wait 15 "watch events and watch routes to show a write" watched
kill "$events_pid" "$routes_pid" 2>/dev/null || true
t_wait 10 "convergence after the watched writes" t_converged 1 2 3
hash=$(t_status_field 1 state_hash)

# --- applying twice is a no-op ---------------------------------------------
idx=$(t_status_field "$leader" applied_index)
t_ctl "$follower" apply -f "$topo" >"$T_WORK/apply2.out" || t_fail "second apply failed"
grep -qi "no change" "$T_WORK/apply2.out" || t_fail "second apply was not a no-op: $(cat "$T_WORK/apply2.out")"
[ "$(t_status_field "$leader" applied_index)" = "$idx" ] || true
[ "$(t_status_field 1 state_hash)" = "$hash" ] || t_fail "state changed on a no-op apply"

# --- removing an item and re-applying removes it; dry run shows the diff ----
python3 - "$topo" "$T_WORK/less.yaml" <<'PY'
import sys
src = open(sys.argv[1]).read()
start = src.index("  - id: vpc-bu-b")
end = src.index("  - id: vpc-shared")
out = src[:start] + src[end:]
# route maps that name vpc-bu-b go too
s = out.index("route_maps:")
e = out.index("  # The branch's routes")
out = out[:s] + "route_maps:\n" + out[e:]
open(sys.argv[2], "w").write(out)
PY
t_ctl "$follower" apply -f "$T_WORK/less.yaml" --dry-run >"$T_WORK/dry.out" ||
	t_fail "dry run failed: $(cat "$T_WORK/dry.out")"
grep -q -- "-.*vpc-bu-b" "$T_WORK/dry.out" || t_fail "dry run does not show vpc-bu-b removed"
[ "$(t_status_field 1 state_hash)" = "$hash" ] || t_fail "a dry run changed the state"
t_ctl "$follower" apply -f "$T_WORK/less.yaml" >/dev/null || t_fail "apply of the smaller file failed"
t_wait 10 "convergence after removal" t_converged 1 2 3
t_ctl 1 -w json route list --region cn-hangzhou >"$T_WORK/routes-less.json"
if grep -q '10.2.0.0/24' "$T_WORK/routes-less.json"; then
	t_fail "vpc-bu-b's route is still there after it was removed"
fi

# --- a bad file changes nothing and names every error with its line --------
sed -e 's/vlan: 101/vlan: 5000/' -e 's/priority: 20/priority: 120/' "$topo" >"$T_WORK/bad.yaml"
before=$(t_status_field 1 state_hash)
if t_ctl "$follower" apply -f "$T_WORK/bad.yaml" 2>"$T_WORK/bad.err"; then
	t_fail "a bad file was applied"
fi
grep -q "line [0-9]*:.*vlan" "$T_WORK/bad.err" || t_fail "no line for the vlan error: $(cat "$T_WORK/bad.err")"
grep -q "line [0-9]*:.*priority" "$T_WORK/bad.err" || t_fail "no line for the priority error"
[ "$(t_status_field 1 state_hash)" = "$before" ] || t_fail "a refused file changed the state"
t_ctl "$follower" apply -f "$topo" >/dev/null || t_fail "re-apply of the full topology failed"
t_wait 10 "convergence" t_converged 1 2 3

# --- kill -9 the leader during a stream of writes ---------------------------
leader=$(t_leader 1 2 3)
others=()
for i in 1 2 3; do [ "$i" = "$leader" ] || others+=("$i"); done
acked="$T_WORK/acked"
: >"$acked"
(
	# each write announces one prefix from the data centre; a write that
	# is acknowledged is recorded
	for k in $(seq 1 400); do
		p="198.18.$((k / 256)).$((k % 256))/32"
		if "$CENCTL" --endpoints "${T_API[${others[0]}]},${T_API[${others[1]}]}" \
			--timeout 4000 route add "$p" --attachment vbr-dc-1 \
			--peer 127.0.0.11 >/dev/null 2>&1; then
			echo "$p" >>"$acked"
		fi
	done
) &
writer=$!
acked_at_least() { [ "$(wc -l <"$acked")" -ge "$1" ]; }
t_wait 20 "some writes before the kill" acked_at_least 50
killed_at=$SECONDS
t_node_kill "$leader"
t_wait 20 "a new leader" t_has_leader "${others[@]}"
took=$((SECONDS - killed_at))
echo "new leader after ${took}s"
[ $took -le 4 ] || t_fail "new leader took ${took}s (election timeout 1s)"
wait $writer || true
nacked=$(wc -l <"$acked")
echo "$nacked writes acknowledged"
t_node_start "$leader"
t_wait 30 "the killed node to converge" t_converged 1 2 3
for i in 1 2 3; do
	t_ctl "$i" -w json route list --table rt-hz-system >"$T_WORK/after$i.json"
	while read -r p; do
		grep -q "\"$p\"" "$T_WORK/after$i.json" || t_fail "acknowledged write $p missing on node $i"
	done <"$acked"
done
echo "integration/cluster: ok"

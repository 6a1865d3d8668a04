#!/bin/bash
# cluster_restart_1m.sh - a restart with a million paths: three nodes with
# examples/hybrid.yaml applied get 1,000,000 paths on vbr-dc-1 (`route add
# --count`, pipelined batches to the leader); then node 3 is stopped with
# SIGTERM and started again, and must answer `endpoint status` with the full
# applied index and the same state hash within 10 s; then the same after a
# SIGKILL.  Prints the load time and each restart time.  A sanitizer build
# (CEND_SANITIZE, several times slower) loads 100,000 paths instead: there
# the test checks behaviour, not speed.
set -euo pipefail
# shellcheck source=tests/integration/lib/cluster.bash
. "$(dirname "$0")/lib/cluster.bash"
topo=$CEND_SOURCE_DIR/examples/hybrid.yaml
npaths=1000000
if grep -q '^CEND_SANITIZE:BOOL=ON' "$CEND_BUILD_DIR/CMakeCache.txt" 2>/dev/null; then
	npaths=100000
fi
npaths=${T_PATHS:-$npaths}
restart_max=10 # seconds

for i in 1 2 3; do t_node_init $i; done
list=$(t_cluster_list 3)
for i in 1 2 3; do t_node_start $i --initial-cluster "$list"; done
t_wait 20 "a leader" t_has_leader 1 2 3
# right after an election a follower may not know the leader's API address
# yet ("no leader is known yet; retry"): apply (idempotent) until it takes
t_wait 20 "the topology to apply through node 1" t_ctl 1 apply -f "$topo"
t_wait 15 "every node to converge after apply" t_converged 1 2 3
base_paths=$(t_status_field 1 paths)

# status_of ID...: "APPLIED/HASH" of each node, from one cenctl call (no
# python: polling must cost the busy nodes' machine little CPU).
status_of()
{
	local eps="" id out a h
	for id in "$@"; do eps+="${eps:+,}${T_API[$id]}"; done
	out=$("$CENCTL" --endpoints "$eps" -w json endpoint status 2>/dev/null) || return 1
	mapfile -t a < <(grep -o '"applied_index":[0-9]*' <<<"$out" | cut -d: -f2)
	mapfile -t h < <(grep -o '"state_hash":"[0-9a-f]*"' <<<"$out" | cut -d'"' -f4)
	[ ${#a[@]} = $# ] && [ ${#h[@]} = $# ] || return 1
	for id in "${!a[@]}"; do echo "${a[$id]}/${h[$id]}"; done
}
# converged ID...: every node at the same applied index and state hash.
converged()
{
	local s
	s=$(status_of "$@") || return 1
	[ "$(sort -u <<<"$s" | wc -l)" = 1 ]
}

# Seconds since $1 (an $EPOCHREALTIME), to the millisecond.
since() { python3 -c 'import sys, time; print("%.2f" % (time.time() - float(sys.argv[1])))' "$1"; }
le() { python3 -c 'import sys; sys.exit(0 if float(sys.argv[1]) <= float(sys.argv[2]) else 1)' "$1" "$2"; }

# --- load: 11.0.0.0/24, 11.0.1.0/24, ... -----------------------------------
t0=$EPOCHREALTIME
t_ctl 1 --timeout 60000 route add --count "$npaths" --start 11.0.0.0/24 \
	--attachment vbr-dc-1 --peer 127.0.0.11 >"$T_WORK/load.out" 2>&1 ||
	t_fail "route add --count failed: $(cat "$T_WORK/load.out")"
load=$(since "$t0")
cat "$T_WORK/load.out"
grep -q "^$npaths routes added" "$T_WORK/load.out" ||
	t_fail "not every path was acknowledged"
t_wait 60 "every node to apply the load" converged 1 2 3
echo "loaded $npaths paths: acknowledged in ${load}s, on every node after $(since "$t0")s"
le "$load" 60 || t_fail "the load took ${load}s (over a minute)"
paths=$(t_status_field 3 paths)
[ "$paths" -ge $((base_paths + npaths)) ] ||
	t_fail "node 3 holds $paths paths, expected at least $((base_paths + npaths))"
index=$(t_status_field 1 applied_index)
hash=$(t_status_field 1 state_hash)
echo "index $index, state hash $hash, $paths paths"

# Node 3 is back: it answers with the full index and the same hash, as
# node 1 does (a restart with unchanged addresses writes no entry).
back()
{
	local s
	s=$(status_of 3 1) || return 1
	[ "$(sort -u <<<"$s")" = "$index/$hash" ]
}

# restart HOW: stops node 3 (t_node_stop or t_node_kill), starts it again
# and times it until it is back.
restart()
{
	local how=$1 t up took
	"t_node_$how" 3
	t=$EPOCHREALTIME
	t_node_start 3
	t_wait 60 "node 3 to answer after $how" status_of 3
	up=$(since "$t")
	t_wait 60 "node 3 to come back after $how" back
	took=$(since "$t")
	echo "restart after $how: node 3 answered after ${up}s, back with $paths paths in ${took}s"
	le "$took" "$restart_max" ||
		t_fail "node 3 took ${took}s to come back after $how (limit ${restart_max}s)"
}
restart stop
restart kill
t_wait 20 "every node to agree" converged 1 2 3
[ "$(status_of 2)" = "$index/$hash" ] || t_fail "node 2 moved: $(status_of 2)"
echo "integration/cluster_restart_1m: ok"

# shellcheck shell=bash
# tests/integration/lib.sh - helpers for cluster tests: start and stop cend
# nodes on distinct loopback addresses with free ports, wait on conditions
# with deadlines (never fixed sleeps), and clean up everything on exit.
# Sourced by the tests; needs CEND_BUILD_DIR and CEND_SOURCE_DIR.

: "${CEND_BUILD_DIR:?}" "${CEND_SOURCE_DIR:?}"
CEND=$CEND_BUILD_DIR/cend
CENCTL=$CEND_BUILD_DIR/cenctl
T_WORK=$(mktemp -d /tmp/cendtest.XXXXXX)
declare -A T_PID T_RAFT T_API T_REGION # T_REGION[ID]: default cn-hangzhou
T_NET=${T_NET:-$((RANDOM % 200 + 20))} # 127.0.T_NET.x for this test run

t_cleanup()
{
	local pid
	for pid in "${T_PID[@]}"; do
		kill -9 "$pid" 2>/dev/null || true
	done
	wait 2>/dev/null || true
	if [ "${T_KEEP:-0}" = 1 ]; then
		echo "kept $T_WORK"
	else
		rm -rf "$T_WORK"
	fi
}
trap t_cleanup EXIT

t_fail()
{
	echo "FAIL: $*" >&2
	local f
	for f in "$T_WORK"/node*.log; do
		[ -f "$f" ] || continue
		echo "--- $f (last 30 lines)" >&2
		tail -n 30 "$f" >&2
	done
	exit 1
}

# A free TCP port on 127.0.T_NET.$1.
t_port()
{
	python3 - "127.0.$T_NET.$1" <<'PY'
import socket, sys
s = socket.socket()
s.bind((sys.argv[1], 0))
print(s.getsockname()[1])
s.close()
PY
}

# t_wait SECONDS DESCRIPTION COMMAND...: polls until COMMAND succeeds.
t_wait()
{
	local secs=$1 what=$2
	shift 2
	local deadline=$((SECONDS + secs))
	while ! "$@" >/dev/null 2>&1; do
		if [ $SECONDS -ge $deadline ]; then
			t_fail "timed out after ${secs}s waiting for $what"
		fi
		sleep 0.1
	done
}

# t_node_init ID: picks the node's addresses.
t_node_init()
{
	local id=$1
	T_RAFT[$id]="127.0.$T_NET.$id:$(t_port "$id")"
	T_API[$id]="127.0.$T_NET.$id:$(t_port "$id")"
}

# t_node_start ID [cend args...]: starts node ID in the background.
t_node_start()
{
	local id=$1
	shift
	"$CEND" --id "$id" --region "${T_REGION[$id]:-cn-hangzhou}" \
		--data-dir "$T_WORK/node$id" \
		--raft-addr "${T_RAFT[$id]}" --api-addr "${T_API[$id]}" \
		--election-ms "${T_ELECTION_MS:-1000}" "$@" \
		>>"$T_WORK/node$id.log" 2>&1 &
	T_PID[$id]=$!
}

t_node_kill()
{
	kill -9 "${T_PID[$1]}" 2>/dev/null || true
	wait "${T_PID[$1]}" 2>/dev/null || true
	unset "T_PID[$1]"
}

t_node_stop()
{
	kill -TERM "${T_PID[$1]}" 2>/dev/null || true
	wait "${T_PID[$1]}" 2>/dev/null || true
	unset "T_PID[$1]"
}

# The initial-cluster list of nodes 1..N.
t_cluster_list()
{
	local n=$1 i list=""
	for i in $(seq 1 "$n"); do
		list+="${list:+,}$i=${T_RAFT[$i]}"
	done
	echo "$list"
}

t_ctl()
{
	local id=$1
	shift
	"$CENCTL" --endpoints "${T_API[$id]}" "$@"
}

# The JSON status of node ID (cenctl endpoint status -w json).
t_status_field()
{
	local id=$1 field=$2
	t_ctl "$id" -w json endpoint status | python3 -c '
import json, sys
d = json.load(sys.stdin)
d = d[0] if isinstance(d, list) else d
print(d.get(sys.argv[1], ""))' "$field"
}

t_is_leader()
{
	[ "$(t_status_field "$1" state)" = leader ]
}

# Prints the ID of the leader among the given nodes (fails if none).
t_leader()
{
	local id
	for id in "$@"; do
		if t_is_leader "$id"; then
			echo "$id"
			return 0
		fi
	done
	return 1
}

t_has_leader()
{
	t_leader "$@" >/dev/null
}

# Succeeds when every listed node reports the same state hash and applied
# index.
t_converged()
{
	local id first="" cur
	for id in "$@"; do
		cur="$(t_status_field "$id" state_hash)/$(t_status_field "$id" applied_index)"
		[ -n "$cur" ] || return 1
		if [ -z "$first" ]; then
			first=$cur
		elif [ "$cur" != "$first" ]; then
			return 1
		fi
	done
}

#!/bin/bash
# fibstream.sh - the FIB stream (FibService/Subscribe) on three cend nodes on
# 127.0.X.1-3, read by `cenctl fib watch` (dataplane/fibsub.c, as a forwarder
# subscribes):
#   - subscribed to a follower before any configuration, the watcher holds
#     exactly `fib show --region cn-hangzhou` once examples/hybrid.yaml is
#     applied and after further route writes, at the node's applied index;
#     `forwarder list` shows it on that node with its version and lag 0;
#   - that follower killed with SIGKILL, the watcher fails over to the next
#     endpoint and resumes there (a delta, no new snapshot), and follows the
#     writes that come after;
#   - stopped and started again on its data directory, it has its FIB at
#     once and resumes;
#   - a subscriber whose version is older than the node's history (the
#     killed node, restarted, keeps none from before) gets a snapshot; one
#     whose version the node still holds gets a delta;
#   - a node that was down while the others compacted their logs installs a
#     Raft snapshot when it comes back: its FIB stream notices (the engine
#     is replaced under it) and its subscriber ends up equal.
set -euo pipefail
# shellcheck source=tests/integration/lib/cluster.bash
. "$(dirname "$0")/lib/cluster.bash"
topo=$CEND_SOURCE_DIR/examples/hybrid.yaml
region=cn-hangzhou
snap=(--snapshot-threshold 64 --snapshot-trailing 16)

# the history's bound is a flag; a bad one is refused with what is expected
if out=$("$CEND" --fib-history-mb 0 2>&1); then
	t_fail "cend started with --fib-history-mb 0"
fi
grep -q "fib-history-mb 0: expected 1..65536" <<<"$out" ||
	t_fail "unclear error for --fib-history-mb 0: $out"

for i in 1 2 3; do t_node_init $i; done
list=$(t_cluster_list 3)
for i in 1 2 3; do
	t_node_start $i --initial-cluster "$list" "${snap[@]}" --fib-history-mb 4
done
t_wait 20 "a leader" t_has_leader 1 2 3
leader=$(t_leader 1 2 3)
f1=$((leader % 3 + 1))
f2=$((f1 % 3 + 1))
echo "leader is node $leader; the watcher subscribes to follower $f1, then $f2"

# watch_start NAME ENDPOINTS [fib watch args...]: a watcher in the
# background, its JSON lines in $T_WORK/NAME.jsonl
watch_start()
{
	local name=$1 eps=$2
	shift 2
	"$CENCTL" --endpoints "$eps" -w json fib watch --region "$region" "$@" \
		>>"$T_WORK/$name.jsonl" 2>>"$T_WORK/$name.err" &
	T_PID[$name]=$!
}

# The watcher's state (its change lines replayed) equals `fib show` of
# node $2, and it holds that node's applied index.
same_fib()
{
	local name=$1 node=$2 idx
	idx=$(t_status_field "$node" applied_index)
	t_ctl "$node" -w json fib show --region "$region" >"$T_WORK/fib.json" || return 1
	python3 - "$T_WORK/$name.jsonl" "$T_WORK/fib.json" "$idx" <<'PY'
import json, sys
state, version = {}, 0
for line in open(sys.argv[1]):
    try:
        ev = json.loads(line)
    except ValueError:
        continue  # a line being written
    if ev.get("event") == "synced":
        version = ev["version"]
    if ev.get("event") != "change":
        continue
    k = (ev["table"], ev["view"] or "", ev["prefix"])
    if ev["next_hops"] == "(withdrawn)":
        state.pop(k, None)
    else:
        state[k] = ev["next_hops"]
fib = {}
for e in json.load(open(sys.argv[2])):
    if e["next_hops"] != "(withdrawn)":
        fib[(e["table"], e["view"] or "", e["prefix"])] = e["next_hops"]
if version != int(sys.argv[3]) or state != fib or not fib:
    sys.stderr.write("version %d (node at %s); %d entries held, %d in fib show\n"
                     % (version, sys.argv[3], len(state), len(fib)))
    for k in sorted(set(state) | set(fib)):
        if state.get(k) != fib.get(k):
            sys.stderr.write("  %s: held %s, fib show %s\n" % (k, state.get(k), fib.get(k)))
    sys.exit(1)
PY
}

# The forwarder list row of subscriber $1 (JSON), from any node.
fw_row()
{
	t_ctl "$leader" -w json forwarder list | python3 -c '
import json, sys
rows = [r for r in json.load(sys.stdin) if r["id"] == sys.argv[1]]
print(json.dumps(rows[0]) if len(rows) == 1 else "")' "$1"
}

# Subscriber $1 is on node $2 at that node's applied index with lag 0.
fw_caught_up()
{
	local row idx
	row=$(fw_row "$1")
	idx=$(t_status_field "$2" applied_index)
	[ -n "$row" ] && python3 -c '
import json, sys
r = json.loads(sys.argv[1])
sys.exit(0 if r["node"] == int(sys.argv[2]) and r["lag"] == 0 and
         r["version"] == int(sys.argv[3]) and r["state"] == "streaming" else 1)' \
		"$row" "$2" "$idx"
}

count() { grep -c "$1" "$2" || true; }
has_line() { grep -q "$1" "$2"; }

# --- a watcher on a follower before any configuration -----------------------
watch_start fwd "${T_API[$f1]},${T_API[$f2]},${T_API[$leader]}" \
	--id fwd-test --data-dir "$T_WORK/fwd"
t_wait 10 "the watcher's first snapshot" has_line '"snapshot":true' "$T_WORK/fwd.jsonl"
t_ctl "$f1" apply -f "$topo" >/dev/null || t_fail "apply of the topology failed"
t_wait 15 "every node to converge after apply" t_converged 1 2 3
t_wait 10 "the watcher to hold node $f1's FIB" same_fib fwd "$f1"
t_wait 10 "forwarder list: fwd-test on node $f1, lag 0" fw_caught_up fwd-test "$f1"
t_ctl "$leader" forwarder list
for k in $(seq 1 20); do
	t_ctl "$leader" route add "198.19.$k.0/24" --attachment vbr-dc-1 \
		--peer 127.0.0.11 >/dev/null || t_fail "route add $k"
done
t_wait 10 "the watcher to follow the route writes" same_fib fwd "$f1"
[ "$(count '"snapshot":true' "$T_WORK/fwd.jsonl")" = 1 ] ||
	t_fail "more than one snapshot before any failover"

# --- the follower dies: fail over and resume ---------------------------------
mark=$(wc -l <"$T_WORK/fwd.jsonl")
t_node_kill "$f1"
for k in $(seq 21 30); do
	t_ctl "$leader" route add "198.19.$k.0/24" --attachment vbr-dc-1 \
		--peer 127.0.0.11 >/dev/null || t_fail "route add $k after the kill"
done
t_wait 15 "the watcher to hold node $f2's FIB after failover" same_fib fwd "$f2"
tail -n +"$((mark + 1))" "$T_WORK/fwd.jsonl" >"$T_WORK/after-kill.jsonl"
has_line "resumed from version" "$T_WORK/after-kill.jsonl" ||
	t_fail "the watcher did not resume on node $f2: $(cat "$T_WORK/after-kill.jsonl")"
if has_line '"snapshot":true' "$T_WORK/after-kill.jsonl"; then
	t_fail "the watcher took a snapshot after failover although node $f2 holds its version"
fi
t_wait 10 "forwarder list: fwd-test on node $f2, lag 0" fw_caught_up fwd-test "$f2"
echo "failover to node $f2: resumed without a snapshot"

# --- restarted on its data directory: the FIB at once, then resume ----------
kill -TERM "${T_PID[fwd]}"
wait "${T_PID[fwd]}" || t_fail "fib watch did not exit cleanly on SIGTERM"
unset 'T_PID[fwd]'
mark=$(wc -l <"$T_WORK/fwd.jsonl")
t_ctl "$leader" route add "198.19.31.0/24" --attachment vbr-dc-1 \
	--peer 127.0.0.11 >/dev/null || t_fail "route add 31"
# node $f2 applies it before the watcher comes back, so that the watcher's
# saved FIB is behind and equal to node $f2's only after the resumed delta
t_wait 10 "node $f2 to apply route 31" t_converged "$leader" "$f2"
watch_start fwd "${T_API[$f2]},${T_API[$leader]}" --id fwd-test \
	--data-dir "$T_WORK/fwd"
t_wait 10 "the restarted watcher to resume" same_fib fwd "$f2"
tail -n +"$((mark + 1))" "$T_WORK/fwd.jsonl" >"$T_WORK/restart.jsonl"
has_line "loaded [0-9]* entries at version" "$T_WORK/restart.jsonl" ||
	t_fail "the restarted watcher did not load its FIB"
has_line "resumed from version" "$T_WORK/restart.jsonl" ||
	t_fail "the restarted watcher did not resume"
[ "$(count '"snapshot":false' "$T_WORK/restart.jsonl")" -ge 1 ] ||
	t_fail "the restarted watcher got no delta"
[ "$(grep '"snapshot":true' "$T_WORK/restart.jsonl" | grep -vc '"entries":0')" = 1 ] ||
	t_fail "the restarted watcher took a snapshot (only the loaded FIB counts as one)"

# --- too old for the history: a snapshot; recent enough: a delta -------------
t_node_start "$f1" "${snap[@]}"
t_wait 30 "node $f1 to come back and converge" t_converged 1 2 3
idx=$(t_status_field "$f1" applied_index)
"$CENCTL" --endpoints "${T_API[$f1]}" -w json fib watch --region "$region" \
	--resume 1 --until "$idx" --id old >"$T_WORK/old.jsonl" 2>&1 &
old_pid=$!
t_wait 10 "the old subscriber to finish" bash -c "! kill -0 $old_pid 2>/dev/null"
wait "$old_pid" || t_fail "fib watch --resume 1 failed: $(cat "$T_WORK/old.jsonl")"
has_line '"snapshot":true' "$T_WORK/old.jsonl" ||
	t_fail "a subscriber older than the history got no snapshot: $(cat "$T_WORK/old.jsonl")"
if has_line "resumed from version" "$T_WORK/old.jsonl"; then
	t_fail "node $f1 resumed a version it holds no history for"
fi
prev=$((idx - 1))
t_ctl "$leader" route add "198.19.32.0/24" --attachment vbr-dc-1 \
	--peer 127.0.0.11 >/dev/null || t_fail "route add 32"
t_wait 10 "node $f1 to apply the write" t_converged 1 2 3
idx=$(t_status_field "$f1" applied_index)
"$CENCTL" --endpoints "${T_API[$f1]}" -w json fib watch --region "$region" \
	--resume "$prev" --until "$idx" --id recent >"$T_WORK/recent.jsonl" 2>&1 &
recent_pid=$!
t_wait 10 "the recent subscriber to finish" bash -c "! kill -0 $recent_pid 2>/dev/null"
wait "$recent_pid" || t_fail "fib watch --resume $prev failed"
has_line "resumed from version $prev" "$T_WORK/recent.jsonl" ||
	t_fail "a recent version was not resumed: $(cat "$T_WORK/recent.jsonl")"
has_line "198.19.32.0/24" "$T_WORK/recent.jsonl" ||
	t_fail "the resumed delta lacks the write after version $prev"
if has_line '"snapshot":true' "$T_WORK/recent.jsonl"; then
	t_fail "a recent version got a snapshot"
fi

# --- a node that installs a Raft snapshot tells its subscribers -------------
# node $f1 stops while the others write enough to snapshot and compact past
# where it stopped (threshold 64, trailing 16); started again, it installs
# the leader's snapshot, which replaces its engine under the FIB stream
t_node_stop "$f1"
idx_before=$(t_status_field "$leader" applied_index)
writer()
{
	local w=$1 k
	for ((k = w; k < 320; k += 4)); do
		"$CENCTL" --endpoints "${T_API[$leader]},${T_API[$f2]}" \
			route add "198.20.$((k / 256)).$((k % 256))/32" \
			--attachment vbr-dc-1 --peer 127.0.0.11 >/dev/null \
			2>>"$T_WORK/writer$w.err" || return 1
	done
}
pids=()
for w in 0 1 2 3; do
	writer $w &
	pids+=($!)
done
for p in "${pids[@]}"; do
	wait "$p" || t_fail "a write failed with node $f1 down: $(cat "$T_WORK"/writer*.err)"
done
echo "node $f1 stopped at $idx_before; the others at $(t_status_field "$leader" applied_index)"
t_node_start "$f1" "${snap[@]}"
watch_start lag "${T_API[$f1]}" --id lagging
t_wait 40 "node $f1 to catch up" t_converged 1 2 3
t_wait 10 "the watcher on node $f1 to hold its FIB" same_fib lag "$f1"
grep -q "state replaced (snapshot installed)" "$T_WORK/node$f1.log" ||
	t_fail "node $f1 installed a Raft snapshot unnoticed by its FIB stream"
echo "node $f1 installed a Raft snapshot; its subscriber got" \
	"$(count '"snapshot":true' "$T_WORK/lag.jsonl") FIB snapshot(s)"
t_ctl "$leader" forwarder list
echo "integration/fibstream: ok"

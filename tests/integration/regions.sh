#!/bin/bash
# regions.sh - one CEN across two regional clusters, end to end, on
# examples/hybrid.yaml as written (scripts/hybrid-net.sh builds it: two
# regions of three cend nodes, BIRD and FRR as the data centre's CEs, BIRD
# as the branch's, a cenfwd per region, hosts in namespaces):
#  - the shared-services VPC in cn-shanghai is reached from both business
#    units in cn-hangzhou, across the backbone;
#  - the branch (CCN in cn-shanghai) reaches the data centre across the
#    backbone, and its routes arrive in cn-hangzhou with what hybrid.yaml's
#    RegionIn map sets (preference 70, community 65000:300);
#  - iperf3 -u at 300 Mbit/s across the regions is received within 10% of
#    the 50 Mbit/s connection limit (shaped);
#  - stopping cn-shanghai's whole cluster leaves cn-hangzhou forwarding
#    locally, and withdraws the routes from cn-shanghai after the grace
#    period; restarting it brings them back, once each.
set -euo pipefail
: "${CEND_BUILD_DIR:?}" "${CEND_SOURCE_DIR:?}"

[ "$(id -u)" = 0 ] || { echo "SKIP: needs root (network namespaces)"; exit 0; }
for b in ip ping iperf3 ethtool /usr/sbin/bird /usr/lib/frr/bgpd; do
	command -v $b >/dev/null || [ -x "$b" ] ||
		{ echo "SKIP: $b not installed"; exit 0; }
done
for a in 127.0.0.11 127.0.0.12 127.0.0.21; do
	if ss -ltn "src $a" | grep -q ":179 "; then
		echo "SKIP: $a:179 is taken (a demo running?)"
		exit 0
	fi
done

HN_BUILD=$CEND_BUILD_DIR
HN_WORK=$(mktemp -d /tmp/cendtest.XXXXXX)
HN_TOPO=$CEND_SOURCE_DIR/examples/hybrid.yaml
[ -f "${CEND_SHARED_DIR:-/nonexistent}/examples/hybrid.yaml" ] &&
	HN_TOPO=$CEND_SHARED_DIR/examples/hybrid.yaml
HN_GRACE_MS=3000
# shellcheck source=scripts/hybrid-net.sh
. "$CEND_SOURCE_DIR/scripts/hybrid-net.sh"
finish()
{
	hn_cleanup
	if [ "${T_KEEP:-0}" = 1 ]; then
		echo "kept $HN_WORK"
	else
		rm -rf "$HN_WORK"
	fi
}
trap finish EXIT

fail()
{
	local f
	echo "FAIL: $*" >&2
	for f in "$HN_WORK"/*.log "$HN_WORK"/ce-*/*.log; do
		[ -s "$f" ] || continue
		echo "--- $f (last 15 lines)" >&2
		tail -n 15 "$f" >&2
	done
	exit 1
}

wait_for()
{
	hn_wait "$@" || fail "timed out: $2"
}

# Paths of a prefix in a region's system table (as JSON lines).
paths()
{
	hn_ctl "$1" -w json route list --table "$2" --prefix "$3" 2>/dev/null |
		python3 -c '
import json, sys
d = json.load(sys.stdin)
for r in (d if isinstance(d, list) else d.get("routes", [])):
    print(json.dumps(r))'
}
npaths() { paths "$@" | wc -l; }

for r in "${HN_REGIONS[@]}"; do
	hn_cluster_start "$r"
done
hn_ces_start
for r in "${HN_REGIONS[@]}"; do
	wait_for 30 "a leader in $r" hn_has_leader "$r"
done
"$HN_BUILD/cenctl" --endpoints "$(hn_endpoints cn-hangzhou),$(hn_endpoints cn-shanghai)" \
	apply -f "$HN_TOPO" >"$HN_WORK/apply.out" 2>&1 ||
	fail "apply to both regions: $(cat "$HN_WORK/apply.out")"
hn_net_up
for r in "${HN_REGIONS[@]}"; do
	hn_fwd_start "$r"
done

# ---- control plane across the regions ---------------------------------------

wait_for 60 "the branch's route in cn-hangzhou" \
	bash -c "[ \$('$HN_BUILD/cenctl' --endpoints $(hn_endpoints cn-hangzhou) -w json route list --table rt-hz-system --prefix 10.200.0.0/16 | grep -c '\"source\"') -ge 1 ]"
b=$(paths cn-hangzhou rt-hz-system 10.200.0.0/16)
python3 - "$b" <<'PY' || fail "the branch's route in cn-hangzhou: $b"
import json, sys
r = json.loads(sys.argv[1].splitlines()[0])
s = json.dumps(r)
assert r.get("source_region") == "cn-shanghai", s
assert str(r.get("preference")) == "70", s
assert "65000:300" in s, s
PY
echo "ok: the branch's routes are in cn-hangzhou with preference 70 and 65000:300"
wait_for 60 "the data centre's route in cn-shanghai" \
	bash -c "[ \$('$HN_BUILD/cenctl' --endpoints $(hn_endpoints cn-shanghai) -w json route list --table rt-sh-system --prefix 192.168.10.0/24 | grep -c '\"source\"') -ge 1 ]"
hn_ctl cn-hangzhou region list || fail "region list"
hn_ctl cn-hangzhou region list | grep -q "in sync" ||
	fail "the regions' models do not show in sync"

# ---- data plane across the backbone -----------------------------------------

wait_for 60 "vpc-bu-a to reach vpc-shared" hn_ping bua 10.9.0.10
wait_for 30 "vpc-bu-b to reach vpc-shared" hn_ping bub 10.9.0.10
wait_for 30 "the branch to reach the data centre" hn_ping brn 192.168.10.1
echo "ok: both business units reach vpc-shared; the branch reaches the data centre"

if [ "${CEND_SANITIZE:-0}" = 1 ]; then
	echo "skipping the rate check under the sanitizers"
else
	hn_nsx shr iperf3 -s -D -p 5201 --logfile "$HN_WORK/iperf-s.log"
	wait_for 10 "the iperf3 server" bash -c "ip netns exec shr$HN_S ss -ltn | grep -q ':5201'"
	for try in 1 2; do
		# many flows, so that the VBR-style per-flow cap is not what
		# limits: only the connection's shaper does
		hn_nsx bua iperf3 -c 10.9.0.10 -u -b 19M -P 16 -t 4 -J \
			>"$HN_WORK/iperf.json" || fail "iperf3 failed"
		rx=$(python3 -c '
import json, sys
# the rate the server measured (not "sent less lost": iperf3 counts the packets of a
# flow dropped after its last delivered one as received)
print(int(json.load(open(sys.argv[1]))["end"]["sum_received"]["bits_per_second"] / 1e6))' "$HN_WORK/iperf.json")
		echo "iperf3 -u at 300 Mbit/s to cn-shanghai: received $rx Mbit/s (connection: 50)"
		[ "$rx" -ge 45 ] && [ "$rx" -le 55 ] && break
		[ $try = 2 ] && fail "received $rx Mbit/s, not 50 within 10%"
	done
fi

# ---- a region goes away, and comes back ------------------------------------

before=$(npaths cn-hangzhou rt-hz-system 10.9.0.0/24)
[ "$before" -ge 1 ] || fail "no route to vpc-shared in cn-hangzhou"
hn_cluster_stop cn-shanghai
t0=$SECONDS
gone()
{
	[ "$(npaths cn-hangzhou rt-hz-system 10.9.0.0/24)" = 0 ] &&
		[ "$(npaths cn-hangzhou rt-hz-system 10.200.0.0/16)" = 0 ]
}
wait_for 60 "cn-shanghai's routes to be withdrawn in cn-hangzhou" gone
echo "cn-shanghai's routes withdrawn $((SECONDS - t0)) s after its cluster stopped (grace ${HN_GRACE_MS} ms)"
hn_ping bua 192.168.10.1 || hn_ping bua 192.168.10.1 ||
	fail "cn-hangzhou's local forwarding stopped with cn-shanghai"
if hn_ping bua 10.9.0.10; then
	fail "vpc-shared still reachable with cn-shanghai gone"
fi
for i in 1 2 3; do
	hn_node_start cn-shanghai "$i"
done
back()
{
	[ "$(npaths cn-hangzhou rt-hz-system 10.9.0.0/24)" = "$before" ] &&
		[ "$(npaths cn-hangzhou rt-hz-system 10.200.0.0/16)" -ge 1 ]
}
wait_for 90 "cn-shanghai's routes to come back" back
wait_for 60 "vpc-bu-a to reach vpc-shared again" hn_ping bua 10.9.0.10
[ "$(npaths cn-hangzhou rt-hz-system 10.9.0.0/24)" = "$before" ] ||
	fail "paths to vpc-shared after the restart: $(npaths cn-hangzhou rt-hz-system 10.9.0.0/24), before: $before"
echo "ok: cn-shanghai's routes came back once each"
echo PASS

#!/bin/bash
# region_exchange.sh - two regions, three cend nodes each, exchanging what
# their attachments learn (consensus/regionx.h, DESIGN.md "Regions"):
#
#  - one topology applied to both clusters with one `cenctl apply` naming
#    the six endpoints (one result per region);
#  - a VBR in cn-hangzhou and a CCN in cn-shanghai, each with a BIRD CE:
#    each CE's routes appear in the other region's system table as CEN
#    routes with the right source region, with that region's RegionIn
#    effects (preference, community); a CE's withdrawal propagates;
#  - `cenctl region list` shows both regions streaming and in sync; a file
#    applied to one region only shows as DIFFERS on both sides, and the
#    same file again as in sync;
#  - all three cn-shanghai nodes stopped: after the grace period (3 s here)
#    cn-hangzhou's tables hold none of cn-shanghai's routes (its VPC's
#    included) and its own routes are untouched; restarted, the routes come
#    back, each path once.
set -euo pipefail
# shellcheck source=tests/integration/lib/cluster.bash
. "$(dirname "$0")/lib/cluster.bash"
# shellcheck source=tests/integration/lib/bgp.bash
. "$(dirname "$0")/lib/bgp.bash"

bgp_need bird || t_fail "BIRD 2 is required (Debian package bird2)"

GRACE_MS=3000
HZ=(1 2 3) SH=(4 5 6)
for i in "${HZ[@]}" "${SH[@]}"; do
	t_node_init "$i"
	T_BGP[$i]=$(t_port "$i")
done
for i in "${SH[@]}"; do
	T_REGION[$i]=cn-shanghai
done
list_of() # the --initial-cluster list of the given nodes
{
	local i out=""
	for i in "$@"; do
		out+="${out:+,}$i=${T_RAFT[$i]}"
	done
	echo "$out"
}
apis_of() # their API endpoints, comma-separated
{
	local i out=""
	for i in "$@"; do
		out+="${out:+,}${T_API[$i]}"
	done
	echo "$out"
}
HZ_LIST=$(list_of "${HZ[@]}") SH_LIST=$(list_of "${SH[@]}")
HZ_APIS=$(apis_of "${HZ[@]}") SH_APIS=$(apis_of "${SH[@]}")

start_node()
{
	local id=$1
	if [ "${T_REGION[$id]:-cn-hangzhou}" = cn-hangzhou ]; then
		bgp_node_start "$id" --initial-cluster "$HZ_LIST" \
			--region-peer "cn-shanghai=$SH_APIS" \
			--region-grace-ms "$GRACE_MS"
	else
		bgp_node_start "$id" --initial-cluster "$SH_LIST" \
			--region-peer "cn-hangzhou=$HZ_APIS" \
			--region-grace-ms "$GRACE_MS"
	fi
}
for i in "${HZ[@]}" "${SH[@]}"; do
	start_node "$i"
done
t_wait 30 "a leader in cn-hangzhou" t_has_leader "${HZ[@]}"
t_wait 30 "a leader in cn-shanghai" t_has_leader "${SH[@]}"

ce_init hz-bird bird 11 65011 # the VBR's CE, on node 1
ce_routes hz-bird 11
ce_init sh-bird bird 21 65021 # the CCN's CE, on node 4
ce_routes sh-bird 21

topology()
{
	cat <<EOF
cen:
  id: cen-rx
  asn: $HUB_AS
regions:
  - id: cn-hangzhou
    route_tables:
      - id: rt-hz-system
        system: true
  - id: cn-shanghai
    route_tables:
      - id: rt-sh-system
        system: true
physical_connections:
  - id: pc-1
    region: cn-hangzhou
    access_point: ap-1
    speed_gbps: 10
attachments:
  - id: vpc-hz
    type: VPC
    region: cn-hangzhou
    vswitch_cidrs: [10.1.0.0/24]
  - id: vpc-sh
    type: VPC
    region: cn-shanghai
    vswitch_cidrs: [10.9.0.0/24]
$(ce_peer_yaml hz-bird 1 | vbr_yaml vbr-hz 101)
  - id: ccn-sh
    type: CCN
    region: cn-shanghai
    bgp:
      peers:
$(ce_peer_yaml sh-bird 4)
$(cat)
route_maps:
  # the branch's routes arrive in Hangzhou less preferred, marked
  - region: cn-hangzhou
    direction: RegionIn
    priority: 20
    match:
      source_region_ids: [cn-shanghai]
      source_instance_types: [CCN]
    action: Permit
    set:
      preference: 70
      communities: { mode: Additive, values: ["65000:300"] }
  # and the data centre's in Shanghai
  - region: cn-shanghai
    direction: RegionIn
    priority: 20
    match:
      source_region_ids: [cn-hangzhou]
      source_instance_types: [VBR]
    action: Permit
    set:
      preference: 60
      communities: { mode: Additive, values: ["65000:400"] }
EOF
}
topology </dev/null >"$T_WORK/topo.yaml"
# the same with one more VPC in cn-shanghai: a different model
topology >"$T_WORK/topo2.yaml" <<EOF
  - id: vpc-sh2
    type: VPC
    region: cn-shanghai
    vswitch_cidrs: [10.8.0.0/24]
EOF

# ---- one apply, both regions -----------------------------------------------
out=$("$CENCTL" --endpoints "$HZ_APIS,$SH_APIS" apply -f "$T_WORK/topo.yaml" 2>&1) ||
	t_fail "apply to both regions failed: $out"
echo "$out"
grep -q "^cn-hangzhou: applied at index" <<<"$out" ||
	t_fail "apply said nothing of cn-hangzhou: $out"
grep -q "^cn-shanghai: applied at index" <<<"$out" ||
	t_fail "apply said nothing of cn-shanghai: $out"
# a region the file names that no endpoint serves is an error
out=$("$CENCTL" --endpoints "${T_API[1]},127.0.$T_NET.99:1,${T_API[4]}" \
	--timeout 2000 apply -f "$T_WORK/topo.yaml" 2>&1) &&
	grep -q "did not answer" <<<"$out" ||
	t_fail "apply with an endpoint down: expected success with a warning: $out"
echo "an endpoint that does not answer is named"

bird_start hz-bird 1 send
bird_start sh-bird 4 send
bgp_wait 30 "hz-bird Established on node 1" peer_established 1 "${CE_ADDR[hz-bird]}"
bgp_wait 30 "sh-bird Established on node 4" peer_established 4 "${CE_ADDR[sh-bird]}"

# table_check NODE TABLE SPEC...: `cenctl route list --table TABLE` on NODE.
#   PREFIX@SOURCE:k=v,...  exactly one path of PREFIX from SOURCE, with these
#                          fields (region=, type=, pref=, comm= one of its
#                          communities, state=)
#   !PREFIX@SOURCE         no path of PREFIX from SOURCE
#   !@REGION               no path whose source is in REGION
#   once                   no two paths with the same (prefix, source, peer)
cat >"$T_WORK/table_check.py" <<'PY'
import collections, json, sys
routes = json.load(sys.stdin)
def fail(msg, got=None):
    print(msg + ("" if got is None else ": found " + json.dumps(got)))
    sys.exit(1)
for spec in sys.argv[1:]:
    if spec == "once":
        seen = collections.Counter(
            (r["prefix"], r["source"], r.get("peer", "")) for r in routes)
        dup = [k for k, n in seen.items() if n > 1]
        if dup:
            fail("paths listed more than once: %s" % dup)
        continue
    if spec.startswith("!@"):
        bad = [r for r in routes if r["source_region"] == spec[2:]]
        if bad:
            fail("paths from region %s remain" % spec[2:], bad)
        continue
    neg = spec.startswith("!")
    spec = spec.lstrip("!")
    key, _, props = spec.partition(":")
    prefix, _, source = key.partition("@")
    got = [r for r in routes if r["prefix"] == prefix and r["source"] == source]
    if neg:
        if got:
            fail("%s from %s is still there" % (prefix, source), got)
        continue
    if len(got) != 1:
        fail("%s from %s: %d paths, want 1" % (prefix, source, len(got)),
             got)
    r = got[0]
    for kv in filter(None, props.split(",")):
        k, v = kv.split("=", 1)
        if k == "region":
            ok = r["source_region"] == v
        elif k == "type":
            ok = r["type"] == v
        elif k == "pref":
            ok = str(r["preference"]) == v
        elif k == "comm":
            ok = v in r["communities"].split()
        elif k == "state":
            ok = r["state"] == v
        else:
            fail("bad spec " + kv)
        if not ok:
            fail("%s from %s: %s is not %s" % (prefix, source, k, v), r)
PY
table_check()
{
	local node=$1 table=$2 out
	shift 2
	out=$(t_ctl "$node" -w json route list --table "$table" 2>&1) || {
		echo "node $node: route list --table $table: $out"
		return 1
	}
	python3 "$T_WORK/table_check.py" "$@" <<<"$out"
}

# ---- each CE's routes in the other region ----------------------------------
hz_specs=() sh_specs=()
for p in ${CE_R4KEEP[hz-bird]} ${CE_R4GONE[hz-bird]}; do
	hz_specs+=("$p@vbr-hz:region=cn-hangzhou,type=CEN,pref=60,comm=65000:400,state=Active")
done
for p in ${CE_R4KEEP[sh-bird]} ${CE_R4GONE[sh-bird]}; do
	sh_specs+=("$p@ccn-sh:region=cn-shanghai,type=CEN,pref=70,comm=65000:300,state=Active")
done
# (followers too: nodes 5 and 2)
bgp_wait 30 "hz-bird's routes in cn-shanghai's table" \
	table_check 5 rt-sh-system "${hz_specs[@]}" \
	"10.1.0.0/24@vpc-hz:region=cn-hangzhou,type=CEN" once
bgp_wait 30 "sh-bird's routes in cn-hangzhou's table" \
	table_check 2 rt-hz-system "${sh_specs[@]}" \
	"10.9.0.0/24@vpc-sh:region=cn-shanghai,type=CEN" once
# and as BGP routes at home, untouched by the other region's RegionIn
table_check 1 rt-hz-system "10.111.0.0/24@vbr-hz:type=BGP,pref=50" ||
	t_fail "hz-bird's route at home: $(table_check 1 rt-hz-system "10.111.0.0/24@vbr-hz:type=BGP,pref=50")"
echo "each CE's routes are in the other region, with its RegionIn applied"

# ---- a withdrawal propagates -------------------------------------------------
bird_withdraw hz-bird
bgp_wait 30 "hz-bird's withdrawal in cn-shanghai" \
	table_check 4 rt-sh-system "!${CE_R4GONE[hz-bird]}@vbr-hz" \
	"${CE_R4KEEP[hz-bird]%% *}@vbr-hz:region=cn-hangzhou" once
echo "a CE's withdrawal reaches the other region"

# ---- region list -------------------------------------------------------------
# region_is NODE REGION KEY=VALUE...: fields of REGION in
# `cenctl -w json region list` on NODE.
cat >"$T_WORK/region_is.py" <<'PY'
import json, sys
regions = {r["region"]: r for r in json.load(sys.stdin)}
r = regions.get(sys.argv[1])
if r is None:
    print("no region %s: %s" % (sys.argv[1], list(regions)))
    sys.exit(1)
for kv in sys.argv[2:]:
    k, v = kv.split("=", 1)
    if str(r[k]).lower() != v:
        print("%s: %s is %s, want %s (%s)" % (sys.argv[1], k, r[k], v,
                                            json.dumps(r)))
        sys.exit(1)
PY
region_is()
{
	local node=$1 region=$2 out
	shift 2
	out=$(t_ctl "$node" -w json region list 2>&1) || {
		echo "node $node: region list: $out"
		return 1
	}
	python3 "$T_WORK/region_is.py" "$region" "$@" <<<"$out"
}
bgp_wait 20 "cn-shanghai streaming and in sync, seen from cn-hangzhou" \
	region_is 2 cn-shanghai state=streaming model="in sync" reachable=true
bgp_wait 20 "cn-hangzhou streaming and in sync, seen from cn-shanghai" \
	region_is 6 cn-hangzhou state=streaming model="in sync" reachable=true
region_is 3 cn-hangzhou state=local || t_fail "cn-hangzhou is not local on node 3"
t_ctl 1 region list
t_ctl 4 region list

# ---- a model applied to one region only --------------------------------------
out=$("$CENCTL" --endpoints "$SH_APIS" apply -f "$T_WORK/topo2.yaml" 2>&1) ||
	t_fail "apply to cn-shanghai only failed: $out"
# (cenctl says so at once: the file names cn-hangzhou too)
grep -q "warning: .* names region cn-hangzhou too" <<<"$out" ||
	t_fail "apply to one region of two gave no warning: $out"
bgp_wait 20 "the difference seen from cn-hangzhou" \
	region_is 1 cn-shanghai model=differs state=streaming
bgp_wait 20 "the difference seen from cn-shanghai" \
	region_is 5 cn-hangzhou model=differs
out=$(t_ctl 1 region list)
echo "$out"
grep -q "DIFFERS (ours [0-9a-f]*, theirs [0-9a-f]*)" <<<"$out" ||
	t_fail "region list does not say DIFFERS: $out"
grep -q "MODEL DIFFERS" "$T_WORK"/node[123].log ||
	t_fail "no node of cn-hangzhou logged the difference"
out=$("$CENCTL" --endpoints "$SH_APIS" apply -f "$T_WORK/topo.yaml" 2>&1) ||
	t_fail "apply to cn-shanghai failed: $out"
bgp_wait 20 "the models in sync again" \
	region_is 2 cn-shanghai model="in sync"
echo "a model applied to one region shows, until both agree again"

# ---- cn-shanghai's whole cluster stops ----------------------------------------
stopped_at=$SECONDS
for i in "${SH[@]}"; do
	kill -TERM "${T_PID[$i]}" 2>/dev/null || true
done
for i in "${SH[@]}"; do
	t_node_stop "$i"
done
# within the grace period its routes stay (checked only if this is quick)
if [ $((SECONDS - stopped_at)) -lt 1 ]; then
	table_check 2 rt-hz-system "${sh_specs[0]}" ||
		t_fail "cn-shanghai's routes went before the grace period: $(table_check 2 rt-hz-system "${sh_specs[0]}")"
	echo "cn-shanghai stopped; its routes are still there (grace period)"
fi
bgp_wait 30 "cn-shanghai's routes gone from cn-hangzhou after the grace period" \
	table_check 2 rt-hz-system "!@cn-shanghai" \
	"!10.9.0.0/24@vpc-sh" "!${CE_R4KEEP[sh-bird]%% *}@ccn-sh"
[ $((SECONDS - stopped_at)) -ge $((GRACE_MS / 1000)) ] ||
	t_fail "cn-shanghai's routes went before the grace period ($((SECONDS - stopped_at)) s)"
# cn-hangzhou's own routes are untouched
table_check 2 rt-hz-system "10.1.0.0/24@vpc-hz:type=System,state=Active" \
	"${CE_R4KEEP[hz-bird]%% *}@vbr-hz:type=BGP,state=Active" ||
	t_fail "cn-hangzhou's own routes changed: $(table_check 2 rt-hz-system "10.1.0.0/24@vpc-hz:type=System,state=Active")"
bgp_wait 10 "cn-shanghai unreachable in region list" \
	region_is 3 cn-shanghai state=unreachable reachable=false
t_ctl 1 region list
echo "a region gone: its routes withdrawn after the grace period, ours untouched"

# ---- it comes back -----------------------------------------------------------
for i in "${SH[@]}"; do
	start_node "$i"
done
t_wait 30 "a leader in cn-shanghai again" t_has_leader "${SH[@]}"
bgp_wait 60 "cn-shanghai's routes back in cn-hangzhou" \
	table_check 1 rt-hz-system "${sh_specs[@]}" \
	"10.9.0.0/24@vpc-sh:region=cn-shanghai,type=CEN,state=Active" once
bgp_wait 30 "cn-hangzhou's routes in cn-shanghai (its new leader's import)" \
	table_check 6 rt-sh-system "${CE_R4KEEP[hz-bird]%% *}@vbr-hz:region=cn-hangzhou,pref=60" \
	"!${CE_R4GONE[hz-bird]}@vbr-hz" once
bgp_wait 20 "cn-shanghai streaming again" \
	region_is 2 cn-shanghai state=streaming reachable=true model="in sync"
for i in "${HZ[@]}"; do
	table_check "$i" rt-hz-system once ||
		t_fail "node $i: $(table_check "$i" rt-hz-system once)"
done
t_ctl 3 region list
# (the nodes stopped and restarted exited cleanly: under the sanitizers
# they would have said so here)
if grep -l "Sanitizer\|runtime error" "$T_WORK"/node*.log; then
	t_fail "a node reported a sanitizer error"
fi
echo "PASS: region exchange"

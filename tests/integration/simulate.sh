#!/bin/bash
# simulate.sh - cenctl simulate on the reference topology: the business units
# stay apart, both reach the shared-services VPC and the data centre (ECMP
# over both circuits), the branch is a standby for what the data centre also
# announces, and a file with errors is refused with every error and its line.
set -euo pipefail
: "${CEND_BUILD_DIR:?}" "${CEND_SOURCE_DIR:?}"
cenctl=$CEND_BUILD_DIR/cenctl
topo=$CEND_SOURCE_DIR/examples/hybrid.yaml
routes=$CEND_SOURCE_DIR/examples/demo-routes.yaml
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }

"$cenctl" -w json simulate -f "$topo" --routes "$routes" >"$work/out.json"
python3 - "$work/out.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
att = {a["id"]: a for a in d["attachments"]}
def routes(a, prefix):
    return [r for r in att[a]["routes"] if r["prefix"] == prefix]
def state(a, prefix, source):
    rs = [r for r in routes(a, prefix) if r["source"] == source]
    assert rs, f"{a} has no route {prefix} from {source}"
    return rs[0]["state"], rs[0]["reason"]
# the business units do not learn each other's routes
assert state("vpc-bu-a", "10.2.0.0/24", "vpc-bu-b") == ("Rejected", "route-map-deny"), state("vpc-bu-a", "10.2.0.0/24", "vpc-bu-b")
assert [r for r in routes("vpc-bu-a", "10.2.0.0/24")][0]["route_map_priority"] == 10
assert state("vpc-bu-b", "10.1.0.0/24", "vpc-bu-a")[0] == "Rejected"
# both reach the shared-services VPC in the other region
for bu in ("vpc-bu-a", "vpc-bu-b"):
    assert state(bu, "10.9.0.0/24", "vpc-shared") == ("Active", ""), bu
    r = routes(bu, "10.9.0.0/24")[0]
    assert r["next_hop"] == "region:cn-shanghai" and r["type"] == "CEN", r
# the data centre over both circuits
fib = [f for f in d["fib"] if f["region"] == "cn-hangzhou" and f["view"] is None]
dc = [f for f in fib if f["prefix"] == "192.168.0.0/16"]
assert dc and dc[0]["next_hops"] == "vbr-dc-1, vbr-dc-2", dc
# the branch's copy of a data-centre prefix arrives less preferred (RegionIn
# preference 70 plus the additive community) and stays standby
r = [r for r in routes("vpc-bu-a", "192.168.10.0/24") if r["source"] == "ccn-branch-1"][0]
assert r["state"] == "Candidate" and r["preference"] == 70, r
assert "65000:300" in r["communities"], r
# the BU views are in the FIB as overrides
views = [f for f in d["fib"] if f["view"] == "vpc-bu-a" and f["prefix"] == "10.2.0.0/24"]
assert views and views[0]["next_hops"] == "(no route)", views
assert len(d["state_hash"]) == 16
print("simulate: ok")
PY

# the same run twice gives the same state hash
h1=$("$cenctl" simulate -f "$topo" --routes "$routes" | tail -1)
h2=$("$cenctl" simulate -f "$topo" --routes "$routes" | tail -1)
[ "$h1" = "$h2" ] || fail "state hash differs between runs: $h1 / $h2"

# a file with several errors: refused, every error named with its line
sed -e 's/vlan: 101/vlan: 5000/' -e 's/priority: 20/priority: 120/' \
	"$topo" >"$work/bad.yaml"
if "$cenctl" simulate -f "$work/bad.yaml" 2>"$work/err"; then
	fail "a topology with errors was accepted"
fi
grep -q "line [0-9]*:.*vlan.*1\.\.2999" "$work/err" || { cat "$work/err"; fail "vlan error not reported with its line and range"; }
grep -q "line [0-9]*:.*priority.*1\.\.100" "$work/err" || { cat "$work/err"; fail "priority error not reported with its line and range"; }

# a YAML syntax error
printf 'cen:\n  id: [unterminated\n' >"$work/syntax.yaml"
if "$cenctl" simulate -f "$work/syntax.yaml" 2>"$work/err"; then
	fail "a syntax error was accepted"
fi
grep -q "line" "$work/err" || fail "syntax error without a line"
echo "integration/simulate: ok"

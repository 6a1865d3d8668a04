#!/usr/bin/env python3
"""ce_rib.py KIND SPEC... < OUTPUT

Reads what a router of KIND says about its routes on stdin and checks each
SPEC against it:

  PREFIX                 the prefix is there
  PREFIX|AS_PATH|COMM    ... with AS path AS_PATH ("45104 65001") and the
                         community COMM ("65001:100") among its communities
                         (either may be empty: not checked)
  !PREFIX                the prefix is not there

KIND and what it reads:
  bird      birdc `show route all`
  frr       vtysh `show bgp ipv4|ipv6 unicast json detail` (both)
  gobgp     `gobgp global rib -a ipv4|ipv6 -j` (both)
  openbgpd  `bgpctl -j show rib detail`
  exabgp    the stream of JSON messages its API process received
  cend      `cenctl -w json route list` (the AS path there is the one the
            route arrived with, before the hub's own AS is prepended)

Exits 0 when every SPEC holds; otherwise prints the first that does not,
with what was found for that prefix, and exits 1.
"""
import ipaddress
import json
import re
import sys


def norm(p):
    return str(ipaddress.ip_network(p, strict=False))


def bird(text):
    routes, cur = {}, None
    for line in text.splitlines():
        if not line.strip() or line.startswith(("BIRD ", "Table ")):
            continue
        if not line[0].isspace():
            first = line.split()[0]
            if "/" in first:
                cur = norm(first)
            # a line without a prefix is another route for the last one
            routes.setdefault(cur, []).append(["", []])
            continue
        if cur is None:
            continue
        line = line.strip()
        if line.startswith("BGP.as_path:"):
            routes[cur][-1][0] = line.split(":", 1)[1].strip()
        elif line.startswith("BGP.community:"):
            routes[cur][-1][1] = [
                "%s:%s" % m for m in
                re.findall(r"\((\d+),(\d+)\)", line)]
    return {p: [tuple(r) for r in rs] for p, rs in routes.items()}


def docs(text):
    """The JSON documents one after another in text."""
    dec, i = json.JSONDecoder(), 0
    while True:
        while i < len(text) and text[i].isspace():
            i += 1
        if i >= len(text):
            return
        d, i = dec.raw_decode(text, i)
        yield d


def frr(text):
    routes = {}
    for d in docs(text):
        for p, paths in d.get("routes", {}).items():
            for path in paths:
                if "aspath" not in path:
                    continue
                routes.setdefault(norm(p), []).append(
                    (path["aspath"].get("string", ""),
                     path.get("community", {}).get("string", "").split()))
    return routes


def gobgp(text):
    routes = {}
    for d in docs(text):
        for p, paths in d.items():
            for path in paths:
                asns, comms = [], []
                for a in path.get("attrs", []):
                    if a.get("type") == 2:
                        for seg in a.get("as_paths", []):
                            asns += seg.get("asns", [])
                    if a.get("type") == 8:
                        comms += ["%d:%d" % (c >> 16, c & 0xffff)
                                  for c in a.get("communities", [])]
                routes.setdefault(norm(p), []).append(
                    (" ".join(str(x) for x in asns), comms))
    return routes


def openbgpd(text):
    d = json.loads(text or "{}")
    routes = {}
    for r in d.get("rib", []):
        routes.setdefault(norm(r["prefix"]), []).append(
            (r.get("aspath", ""), r.get("communities", [])))
    return routes


def exabgp(text):
    """Replays the updates: what was announced last and not withdrawn."""
    have = {}
    for line in text.splitlines():
        try:
            m = json.loads(line)
        except ValueError:
            continue
        if m.get("type") == "state":
            have.clear()  # a new session starts from nothing
            continue
        upd = m.get("neighbor", {}).get("message", {}).get("update", {})
        attr = upd.get("attribute", {})
        for fam in upd.get("withdraw", {}).values():
            for n in fam:
                have.pop(norm(n["nlri"]), None)
        for fam in upd.get("announce", {}).values():
            for nhs in fam.values():
                for n in nhs:
                    have[norm(n["nlri"])] = [(
                        " ".join(str(a) for a in attr.get("as-path", [])),
                        ["%d:%d" % tuple(c)
                         for c in attr.get("community", [])])]
    return have


def cend(text):
    routes = {}
    for r in json.loads(text or "[]"):
        if r.get("view") is None:
            routes.setdefault(norm(r["prefix"]), []).append(
                (r.get("as_path", ""), r.get("communities", "").split()))
    return routes


def main():
    kind, specs = sys.argv[1], sys.argv[2:]
    routes = globals()[kind](sys.stdin.read())
    for spec in specs:
        absent = spec.startswith("!")
        parts = spec.lstrip("!").split("|")
        prefix = norm(parts[0])
        path = parts[1] if len(parts) > 1 and parts[1] else None
        comm = parts[2] if len(parts) > 2 and parts[2] else None
        found = routes.get(prefix, [])
        if absent:
            ok = not found
        else:
            ok = any((path is None or p == path) and
                     (comm is None or comm in c) for p, c in found)
        if not ok:
            print("%s: %s" % (spec, "; ".join(
                "as-path [%s] communities %s" % (p, " ".join(c))
                for p, c in found) or "not there"))
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/bin/bash
# cenctl_fwdstats.sh - `cenctl forwarder stats` against a forwarder's API.
#
# A stand-in server (fwdstats_server, from tests/tools/fwdstats_server.c)
# answers ForwarderAdmin/Stats with a fixed answer that fills every
# section.  The table shows each section with its values (rates in
# bit/s units, zero drop counters left out); -w json prints the whole
# answer as one object with the .proto's field names.  An endpoint that
# refuses the connection says the forwarder cannot be reached, and an
# endpoint that does not serve the method (a cluster node) says so.
set -euo pipefail
: "${CEND_BUILD_DIR:?}" "${CEND_SOURCE_DIR:?}"
cenctl=$CEND_BUILD_DIR/cenctl
server=$CEND_BUILD_DIR/fwdstats_server
work=$(mktemp -d)
pids=()
cleanup()
{
	local p
	for p in "${pids[@]}"; do
		kill "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
	rm -rf "$work"
}
trap cleanup EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }

# expect CODE CMD...: runs CMD, checks its exit code; stdout in $work/out,
# stderr in $work/err.
expect()
{
	local want=$1 rc=0
	shift
	"$@" >"$work/out" 2>"$work/err" || rc=$?
	[ "$rc" = "$want" ] ||
		fail "$* exited $rc, expected $want: $(cat "$work/err")"
}

# has LINE-REGEX: the table output has a line matching it.
has()
{
	grep -Eq -- "$1" "$work/out" ||
		fail "no line matching '$1' in:
$(cat "$work/out")"
}

# start NAME ARGS...: starts the server, sets PORT once it listens.
start()
{
	local name=$1 deadline
	shift
	"$server" 127.0.0.1:0 --lifetime 120 "$@" >"$work/$name.port" \
		2>"$work/$name.log" &
	pids+=($!)
	deadline=$((SECONDS + 10))
	until [ -s "$work/$name.port" ]; do
		kill -0 "${pids[-1]}" 2>/dev/null ||
			fail "$name exited: $(cat "$work/$name.log")"
		[ "$SECONDS" -lt "$deadline" ] || fail "$name did not listen"
		sleep 0.05
	done
	PORT=$(head -n 1 "$work/$name.port")
	[ "$PORT" -gt 0 ] || fail "$name: no port"
}

[ -x "$server" ] || fail "$server not built"

# ---- usage ------------------------------------------------------------------
expect 0 "$cenctl" forwarder stats --help
grep -q "usage: cenctl --endpoints FORWARDER-API forwarder stats" \
	"$work/out" || fail "stats --help: $(cat "$work/out")"
expect 0 "$cenctl" forwarder --help
grep -q "forwarder stats" "$work/out" || fail "forwarder --help lists no stats"
expect 0 "$cenctl" --help
grep -q "forwarder stats" "$work/out" || fail "--help lists no forwarder stats"
expect 2 "$cenctl" --endpoints 127.0.0.1:1 forwarder stats extra

# ---- nothing listening --------------------------------------------------------
expect 1 "$cenctl" --endpoints 127.0.0.1:1 forwarder stats
[ "$(cat "$work/err")" = \
	"cenctl: cannot reach the forwarder's API: 127.0.0.1:1: connection refused" ] ||
	fail "refused: $(cat "$work/err")"
[ ! -s "$work/out" ] || fail "refused: printed $(cat "$work/out")"
expect 1 "$cenctl" -w json --endpoints 127.0.0.1:1 forwarder stats
[ ! -s "$work/out" ] || fail "refused, json: printed $(cat "$work/out")"

# ---- an endpoint that is no forwarder -----------------------------------------
start node --without-stats
expect 1 "$cenctl" --endpoints "127.0.0.1:$PORT" forwarder stats
[ "$(cat "$work/err")" = "cenctl: 127.0.0.1:$PORT does not serve cend.v1.ForwarderAdmin/Stats: is it a forwarder's API endpoint (its config's api:)?" ] ||
	fail "no such method: $(cat "$work/err")"

# ---- the table ----------------------------------------------------------------
start fwd
ep=127.0.0.1:$PORT
# the first endpoint refuses: the next one is asked
expect 0 "$cenctl" --endpoints "127.0.0.1:1,$ep" forwarder stats
has '^Forwarder fwd-hz-1, region cn-hangzhou, FIB version 4242 \(1337 entries\) from 127\.0\.0\.1:7101, up 01:02:03$'
# sections, in order
sections=$(grep -E '^[A-Z][a-z ]+:( none)?$' "$work/out" | tr '\n' '|')
[ "$sections" = "Ports:|Attachments:|Meters:|Health checks:|Neighbors:|Drops:|" ] ||
	fail "sections: $sections"
has '^INTERFACE +IO +LINK +RX +TX +RX RING DROPS +TX ERRORS$'
has '^hz-vpca +afpacket +up +1500 \(1\.5 MB\) +700 \(70 kB\) +0 +0$'
has '^hz-dc +afpacket +down +0 \(0 B\) +0 \(0 B\) +17 +3$'
has '^ID +INTERFACE +VLAN +TABLE +RX +TX +DROPS$'
has '^vpc-bu-a +hz-vpca +- +rt-hz-sys +1500 \(1\.5 MB\) +700 \(70 kB\) +no-route=5 meter=9$'
has '^vbr-dc-1 +hz-dc +101 +vbr-dc-1 +0 \(0 B\) +0 \(0 B\) +-$'
has '^ID +KIND +COMMITTED +RATE +P95 +PASSED +DROPPED +QUEUED$'
has '^vbr-dc-1 +vbr +100\.0 Mbit/s +25\.5 Mbit/s +1\.3 Gbit/s +1000 \(1\.2 MB\) +12 \(18 kB\) +4$'
has '^vbr-dc-1/flow +flow-cap +8\.3 Mbit/s +950 bit/s +0 bit/s +0 \(0 B\) +0 \(0 B\) +0$'
has '^ATTACHMENT +SOURCE +TARGET +INTERVAL +THRESHOLD +STATE +MISSES +SENT +RECEIVED +SINCE +REPORTED$'
has '^vbr-dc-1 +10\.10\.10\.1 +10\.10\.10\.2 +2s +8 +down +8 +100 +92 +1d01h +yes$'
has '^hz-dc +101 +10\.10\.10\.2 +02:00:00:00:01:01 +00:00:12$'
has '^hz-vpca +- +10\.1\.0\.7 +\(unresolved\) +00:00:00$'
has '^no-attachment +21$'
! grep -q 'ttl=\|bad-checksum' "$work/out" || fail "zero counters shown"

# ---- JSON ---------------------------------------------------------------------
expect 0 "$cenctl" -w json --endpoints "$ep" forwarder stats
[ "$(wc -l <"$work/out")" = 1 ] || fail "json: not one line"
python3 - "$work/out" <<'EOF' || fail "json: $(cat "$work/out")"
import json, sys

r = json.load(open(sys.argv[1]))
assert r["id"] == "fwd-hz-1" and r["region"] == "cn-hangzhou", r
assert r["fib_version"] == 4242 and r["fib_entries"] == 1337, r
assert r["endpoint"] == "127.0.0.1:7101" and r["uptime_ms"] == 3723000, r
assert [p["interface"] for p in r["ports"]] == ["hz-vpca", "hz-dc"], r
assert r["ports"][0]["link_up"] is True and r["ports"][1]["link_up"] is False
assert r["ports"][1]["rx_ring_drops"] == 17 and r["ports"][1]["io"] == "afpacket"
a = r["attachments"][0]
assert a["id"] == "vpc-bu-a" and a["vlan"] == 0 and a["table"] == "rt-hz-sys", a
# every counter, zero ones included
assert a["drops"] == [{"name": "no-route", "value": 5},
                      {"name": "ttl", "value": 0},
                      {"name": "meter", "value": 9}], a
assert r["attachments"][1]["vlan"] == 101 and r["attachments"][1]["drops"] == []
m = r["meters"][0]
assert m == {"id": "vbr-dc-1", "kind": "vbr", "committed_bps": 100000000,
             "rate_bps": 25500000, "p95_bps": 1260000000,
             "passed_packets": 1000, "passed_bytes": 1200000,
             "dropped_packets": 12, "dropped_bytes": 18000,
             "queued_packets": 4}, m
h = r["health"][0]
assert h["state"] == "down" and h["misses"] == 8 and h["reported"] is True, h
assert h["last_change_ms"] == 90061000 and h["interval_s"] == 2, h
assert r["neighbors"][1] == {"interface": "hz-vpca", "vlan": 0,
                             "address": "10.1.0.7", "mac": "", "age_ms": 0}
assert r["drops"] == [{"name": "no-attachment", "value": 21},
                      {"name": "bad-checksum", "value": 0}], r["drops"]
EOF
echo "cenctl_fwdstats: ok"

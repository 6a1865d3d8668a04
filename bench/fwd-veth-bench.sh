#!/bin/bash
# fwd-veth-bench.sh - packets per second through cenfwd (AF_PACKET, and
# AF_XDP when it works on veth) against the kernel's own IPv4 forwarding,
# over the same veth pairs, in the same run.
#
#   ns src (10.1.0.10) eth0 --veth-- r0 \
#                                        ns rtr: the kernel (ip_forward) or
#   ns dst (10.2.0.10) eth0 --veth-- r1 /  cenfwd, r0 = vpc-a, r1 = vpc-b
#
# The generator (bench/pktgen.c) sends 64-byte UDP frames (60 bytes and
# the FCS), FLOWS source ports round-robin, as fast as it can, from src
# to dst through rtr; what dst's eth0 received (its rx_packets counter)
# over the middle SECONDS of each run is the rate.  Runs alternate kernel,
# cenfwd (, cenfwd-xdp) REPEAT times; the medians and their ratios to the
# kernel's are printed, and one JSON line.
#
# Two figures per mode: packets per second, and CPU time per packet of
# what forwards (r0's NAPI thread, cenfwd's threads, ksoftirqd of FWD_CPU:
# schedstat), with the share of FWD_CPU those threads got.  pps compares
# only when that share is near 1.00 in every mode, on an otherwise idle
# machine: under other load, cenfwd's two runnable threads get a larger
# share of FWD_CPU than the kernel's one.  CPU per packet does not depend
# on the share.
#
# CPUs (the machine has two): the generator runs alone on CPU 0
# (GEN_CPU), the forwarding on CPU 1 (FWD_CPU), so that neither steals
# from the other.  veth hands a frame to its peer's receive path on the CPU
# that sent it, which would put the kernel's forwarding (or AF_PACKET's copy
# into cenfwd's ring) on the generator's CPU.  So r0 gets a NAPI instance
# (GRO on, which merges nothing here: UDP is aggregated only for sockets
# that ask or with rx-udp-gro-forwarding, off), made threaded, and its
# thread (napi/r0-N) is pinned to FWD_CPU: in every run, everything r0
# receives is processed there, by a thread the scheduler treats like
# cenfwd's.  cenfwd (both its threads) is pinned there too.  dst's eth0
# has no NAPI: what r1 sends is received (rx_packets counts it) and
# dropped at a UDP socket that is never read, inline on the sending CPU,
# FWD_CPU, in every run.  For AF_XDP, the same NAPI thread runs the XDP
# program.  The cend node (idle once the FIB is out) is on
# GEN_CPU.  Other load on the machine lands on both CPUs alike; the runs
# alternate so that it spreads over all modes.
#
# Usage: bench/fwd-veth-bench.sh [--seconds S] [--repeat N] [--flows N]
#                                [--no-xdp] [--keep] [--perf DIR]
# --perf DIR: perf record -g of FWD_CPU during each run, into
# DIR/perf-MODE.data (perf's own start-up is in the window: for profiles,
# not figures).
# Needs root, iproute2, ethtool, taskset and a build (CEND_BUILD_DIR,
# default build/release) with cend, cenctl, cenfwd and pktgen.
set -euo pipefail

SRC_DIR=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${CEND_BUILD_DIR:-$SRC_DIR/build/release}
SECONDS_RUN=5
REPEAT=3
FLOWS=1024
XDP=1
KEEP=0
PERF_DIR=""
GEN_CPU=${GEN_CPU:-0}
FWD_CPU=${FWD_CPU:-1}
while [ $# -gt 0 ]; do
	case $1 in
	--seconds) SECONDS_RUN=$2; shift 2 ;;
	--repeat) REPEAT=$2; shift 2 ;;
	--flows) FLOWS=$2; shift 2 ;;
	--no-xdp) XDP=0; shift ;;
	--keep) KEEP=1; shift ;;
	--perf) PERF_DIR=$2; shift 2 ;;
	*) echo "usage: $0 [--seconds S] [--repeat N] [--flows N] [--no-xdp] [--keep] [--perf DIR]" >&2
	   exit 2 ;;
	esac
done

[ "$(id -u)" = 0 ] || { echo "needs root (network namespaces)" >&2; exit 1; }
for b in ip ethtool taskset python3; do
	command -v $b >/dev/null || { echo "$b is not installed" >&2; exit 1; }
done
if [ -n "$PERF_DIR" ]; then
	command -v perf >/dev/null || { echo "perf is not installed" >&2; exit 1; }
	mkdir -p "$PERF_DIR"
fi
for b in cend cenctl cenfwd pktgen; do
	[ -x "$BUILD/$b" ] || { echo "$BUILD/$b is missing: build first" >&2; exit 1; }
done

S=$(( $$ % 10000 ))
NS_S=fbs$S NS_D=fbd$S NS_R=fbr$S
W=$(mktemp -d /tmp/fwdbench.XXXXXX)
CEND_PID="" FWD_PID=""

cleanup()
{
	local n
	set +e # remove everything, whatever fails
	[ -n "$FWD_PID" ] && kill -9 "$FWD_PID" 2>/dev/null
	[ -n "$CEND_PID" ] && kill -9 "$CEND_PID" 2>/dev/null
	for n in $NS_S $NS_D $NS_R; do
		ip netns pids "$n" 2>/dev/null | xargs -r kill -9 2>/dev/null
		ip netns del "$n" 2>/dev/null
	done
	wait 2>/dev/null
	if [ "$KEEP" = 1 ]; then
		echo "kept $W" >&2
	else
		rm -rf "$W"
	fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM

fail()
{
	echo "FAIL: $*" >&2
	local f
	for f in "$W"/*.log; do
		[ -f "$f" ] || continue
		echo "--- $f (last 20 lines)" >&2
		tail -n 20 "$f" >&2
	done
	exit 1
}

nsx()
{
	local ns=$1
	shift
	ip netns exec "$ns" "$@"
}

# wait_for SECONDS DESCRIPTION COMMAND...: polls until COMMAND succeeds.
wait_for()
{
	local deadline=$((SECONDS + $1)) what=$2
	shift 2
	until "$@" >/dev/null 2>&1; do
		[ $SECONDS -lt $deadline ] || fail "timed out waiting for $what"
		sleep 0.1
	done
}

# ---- the wiring --------------------------------------------------------------

for n in $NS_S $NS_D $NS_R; do
	ip netns add "$n"
	nsx "$n" ip link set lo up
	nsx "$n" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
	nsx "$n" sysctl -qw net.ipv6.conf.default.disable_ipv6=1
done
ip link add eth0 netns "$NS_S" type veth peer name r0 netns "$NS_R"
ip link add eth0 netns "$NS_D" type veth peer name r1 netns "$NS_R"
for x in "$NS_S eth0" "$NS_D eth0" "$NS_R r0" "$NS_R r1"; do
	read -r ns ifc <<<"$x"
	# a userspace forwarder sees frames as on the wire: no offloads
	nsx "$ns" ethtool -K "$ifc" tx off tso off gso off gro off >/dev/null 2>&1 ||
		true
	nsx "$ns" ip link set "$ifc" up
done
# r0's receive path in a thread of its own (see the header)
nsx "$NS_R" ethtool -K r0 gro on >/dev/null
nsx "$NS_R" sh -c 'echo 1 >/sys/class/net/r0/threaded'
mac() { nsx "$1" cat "/sys/class/net/$2/address"; }
MAC_S=$(mac "$NS_S" eth0) MAC_D=$(mac "$NS_D" eth0) MAC_R0=$(mac "$NS_R" r0)
nsx "$NS_S" ip addr add 10.1.0.10/24 dev eth0
nsx "$NS_S" ip route add default via 10.1.0.1
nsx "$NS_D" ip addr add 10.2.0.10/24 dev eth0
nsx "$NS_D" ip route add default via 10.2.0.1
# The sink: a UDP socket on the port the frames go to, never read, with
# the smallest receive buffer, so that dst's stack drops them at the socket
# (cheaper than answering each with an ICMP port unreachable, which looks
# up a route first); the same in every run.
ip netns exec "$NS_D" python3 -c '
import socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1)
s.bind(("10.2.0.10", 9))
time.sleep(1e6)' &
disown # killed with the namespace; no "Killed" notice
wait_for 10 "the sink" bash -c "ip netns exec $NS_D ss -lun | grep -q ':9 '"

ping_ok() { nsx "$NS_S" ping -c 1 -W 1 10.2.0.10 >/dev/null 2>&1; }

kernel_on()
{
	nsx "$NS_R" ip addr add 10.1.0.1/24 dev r0
	nsx "$NS_R" ip addr add 10.2.0.1/24 dev r1
	nsx "$NS_R" ip neigh replace 10.1.0.10 lladdr "$MAC_S" dev r0 nud permanent
	nsx "$NS_R" ip neigh replace 10.2.0.10 lladdr "$MAC_D" dev r1 nud permanent
	nsx "$NS_R" sysctl -qw net.ipv4.ip_forward=1
	wait_for 10 "the kernel to forward" ping_ok
}

# Nothing of the kernel's IPv4 on r0 and r1, so that it neither forwards
# nor answers for the gateways: cenfwd does.
kernel_off()
{
	nsx "$NS_R" sysctl -qw net.ipv4.ip_forward=0
	nsx "$NS_R" ip addr flush dev r0
	nsx "$NS_R" ip addr flush dev r1
	nsx "$NS_R" ip neigh flush dev r0
	nsx "$NS_R" ip neigh flush dev r1
	# src and dst ask again for the gateways' MACs
	nsx "$NS_S" ip neigh flush dev eth0
	nsx "$NS_D" ip neigh flush dev eth0
}

# ---- the cluster and the forwarder, in ns rtr ----------------------------------

ctl() { nsx "$NS_R" "$BUILD/cenctl" --endpoints 127.0.0.1:7101 "$@"; }
ctl_fwd() { nsx "$NS_R" "$BUILD/cenctl" --endpoints 127.0.0.1:7301 "$@"; }

start_cluster()
{
	# not through nsx: $! must be the process itself, to kill it
	ip netns exec "$NS_R" taskset -c "$GEN_CPU" "$BUILD/cend" --id 1 \
		--region cn-hangzhou --data-dir "$W/n1" \
		--raft-addr 127.0.0.1:7201 --api-addr 127.0.0.1:7101 \
		--initial-cluster 1=127.0.0.1:7201 >"$W/cend.log" 2>&1 &
	CEND_PID=$!
	disown
	wait_for 20 "a leader" bash -c \
		"ip netns exec $NS_R '$BUILD/cenctl' --endpoints 127.0.0.1:7101 endpoint status | grep -q leader"
	cat >"$W/topo.yaml" <<EOF
cen: {id: cen-bench, asn: 45104}
regions:
  - id: cn-hangzhou
    route_tables:
      - {id: rt-hz-system, system: true}
attachments:
  - {id: vpc-a, type: VPC, region: cn-hangzhou, vswitch_cidrs: [10.1.0.0/24]}
  - {id: vpc-b, type: VPC, region: cn-hangzhou, vswitch_cidrs: [10.2.0.0/24]}
EOF
	ctl apply -f "$W/topo.yaml" >"$W/apply.log" 2>&1 || fail "apply"
}

# fwd_start afpacket|xdp
fwd_start()
{
	cat >"$W/fwd.yaml" <<EOF
id: fwd-bench
region: cn-hangzhou
cluster: [127.0.0.1:7101]
data_dir: $W/fwd
api: 127.0.0.1:7301
io: $1
ports:
  - interface: r0
    attachment: vpc-a
  - interface: r1
    attachment: vpc-b
EOF
	ip netns exec "$NS_R" taskset -c "$FWD_CPU" "$BUILD/cenfwd" --config "$W/fwd.yaml" \
		>>"$W/fwd.log" 2>&1 &
	FWD_PID=$!
	if [ "$1" = xdp ]; then
		wait_for 10 "XDP on r0" bash -c \
			"ip netns exec $NS_R ip link show r0 | grep -q xdp"
	fi
	wait_for 30 "cenfwd ($1) to forward" ping_ok
}

# The thread of r0's NAPI (napi/r0-ID), on FWD_CPU; XDP programs coming
# and going remake it, so this runs before every measurement.
pin_napi()
{
	local pid n=0
	nsx "$NS_R" sh -c 'echo 1 >/sys/class/net/r0/threaded'
	for pid in $(pgrep '^napi/r0-' || true); do
		taskset -pc "$FWD_CPU" "$pid" >/dev/null
		n=$((n + 1))
	done
	[ $n -ge 1 ] || fail "no NAPI thread for r0"
}

fwd_stop()
{
	kill -TERM "$FWD_PID" 2>/dev/null || true
	wait "$FWD_PID" 2>/dev/null || true
	FWD_PID=""
}

# ---- one measurement -------------------------------------------------------------

# busy_jiffies CPU: "busy total" jiffies of the CPU (/proc/stat).
busy_jiffies()
{
	awk -v c="cpu$1" '$1 == c { print $2+$3+$4+$7+$8, $2+$3+$4+$5+$6+$7+$8 }' /proc/stat
}

# task_ns PID...: CPU time (ns) of every thread of the PIDs
# (sum_exec_runtime, /proc/PID/task/TID/schedstat), one line per PID.
task_ns()
{
	local pid
	for pid in "$@"; do
		cat /proc/"$pid"/task/*/schedstat 2>/dev/null |
			awk '{ s += $1 } END { printf "%.0f\n", s }'
	done
}

rx_count() { nsx "$NS_D" cat /sys/class/net/eth0/statistics/rx_packets; }

# snap: one line of counters, read at the start and the end of the window.
# shellcheck disable=SC2086 # NAPI_PIDS: one word per thread
snap()
{
	echo "$(rx_count) $(date +%s.%N) $(busy_jiffies "$FWD_CPU")" \
		"$(task_ns $NAPI_PIDS "$SOFTIRQD" $FWD_PID | tr '\n' ' ')"
}

# blast NAME: runs the generator SECONDS + 2 s; the rate is what dst
# received between 1 s in and 1 s before the end.  The CPU time is that of
# what forwards: r0's NAPI thread, cenfwd's threads and ksoftirqd of
# FWD_CPU (softirqs run in the thread that raised them, or there when
# they pile up); per packet received by dst, it does not depend on how much
# of FWD_CPU other work on the machine took.
blast()
{
	local name=$1 gen s0 s1
	pin_napi
	NAPI_PIDS=$(pgrep '^napi/r0-' | tr '\n' ' ')
	SOFTIRQD=$(pgrep -x "ksoftirqd/$FWD_CPU")
	ip netns exec "$NS_S" taskset -c "$GEN_CPU" "$BUILD/pktgen" --if eth0 \
		--dst-mac "$MAC_R0" --src 10.1.0.10 --dst 10.2.0.10 \
		--flows "$FLOWS" --seconds $((SECONDS_RUN + 2)) \
		>"$W/gen-$name.json" 2>"$W/gen.log" &
	gen=$!
	sleep 1
	s0=$(snap)
	if [ -n "$PERF_DIR" ]; then
		perf record -q -C "$FWD_CPU" -g -o "$PERF_DIR/perf-$name.data" \
			-- sleep "$SECONDS_RUN" >/dev/null 2>&1
	else
		sleep "$SECONDS_RUN"
	fi
	s1=$(snap)
	wait "$gen" || fail "pktgen"
	local drops=0
	if [ "$name" != kernel ]; then
		ctl_fwd forwarder stats >>"$W/stats-$name.txt" 2>&1 || true
		drops=$(ctl_fwd -w json forwarder stats | python3 -c '
import json, sys
print(sum(int(p.get("rx_ring_drops", 0)) for p in json.load(sys.stdin)["ports"]))') ||
			drops=-1
	fi
	python3 - "$name" "$W/gen-$name.json" "$drops" \
		"$(echo "$NAPI_PIDS" | wc -w)" "$s0" "$s1" <<'PY' >>"$W/results"
import json, sys
name, genf, drops, nnapi = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
a = [float(x) for x in sys.argv[5].split()]
b = [float(x) for x in sys.argv[6].split()]
d = [y - x for x, y in zip(a, b)]
n, secs, busy, total = d[0], d[1], d[2], d[3]
napi, softirqd, fwd = sum(d[4:4 + nnapi]), d[4 + nnapi], sum(d[5 + nnapi:])
g = json.load(open(genf))
per = lambda v: round(v / n) if n else None
r = {"mode": name, "pps": round(n / secs),
     "cpu_ns_per_pkt": per(napi + softirqd + fwd),
     "napi_ns": per(napi), "ksoftirqd_ns": per(softirqd),
     "offered_pps": round(g["pps"]), "gen_refused": g["refused"],
     "fwd_share": round((napi + softirqd + fwd) / 1e9 / secs, 2),
     "fwd_cpu_busy": round(busy / total, 2) if total else None}
if name != "kernel":
    r["cenfwd_ns"] = per(fwd)
    r["ring_drops"] = drops
print(json.dumps(r))
PY
	tail -n 1 "$W/results"
}

# ---- the runs ---------------------------------------------------------------------

echo "# $(nproc) CPUs; generator on CPU $GEN_CPU, forwarding on CPU $FWD_CPU;" \
	"$FLOWS flows, 60-byte frames, ${SECONDS_RUN}s a run, $REPEAT rounds;" \
	"load average $(cut -d' ' -f1-3 /proc/loadavg)"
start_cluster
MODES="kernel afpacket"
if [ "$XDP" = 1 ]; then
	# AF_XDP only if this build and kernel can: one try, outside the runs
	fwd_start xdp >/dev/null 2>&1 && MODES="$MODES xdp" ||
		echo "# AF_XDP: cenfwd could not forward with io: xdp, left out" \
			"($(grep -i xdp "$W/fwd.log" | tail -n 1))"
	fwd_stop
fi
# the first start fetches the FIB; later ones start from data_dir
fwd_start afpacket
fwd_stop
for _ in $(seq 1 "$REPEAT"); do
	for m in $MODES; do
		case $m in
		kernel)
			kernel_on
			blast kernel
			kernel_off
			;;
		*)
			fwd_start "$m"
			blast "$m"
			fwd_stop
			;;
		esac
	done
done

echo "# load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
python3 - "$W/results" "$SECONDS_RUN" "$FLOWS" <<'PY'
import json, statistics, sys
runs = [json.loads(l) for l in open(sys.argv[1])]
by = {}
for r in runs:
    by.setdefault(r["mode"], []).append(r)
med = lambda m, f: statistics.median(r[f] for r in by[m])
kp, kc = med("kernel", "pps"), med("kernel", "cpu_ns_per_pkt")
out = {"bench": "fwd-veth", "seconds": float(sys.argv[2]),
       "flows": int(sys.argv[3]), "frame_bytes": 64}
print("mode      pps (median; runs)                 CPU ns/pkt  share of CPU")
for m in by:
    p, c = med(m, "pps"), med(m, "cpu_ns_per_pkt")
    line = (f"{m:9s} {p/1e6:6.3f} Mpps ("
            + " ".join(f"{r['pps']/1e6:.3f}" for r in by[m]) + ")")
    line = f"{line:44s} {c:5.0f}       {med(m, 'fwd_share'):4.2f}"
    out[m + "_pps"] = round(p)
    out[m + "_cpu_ns_per_pkt"] = round(c)
    out[m + "_fwd_share"] = med(m, "fwd_share")
    if m != "kernel":
        line += f"   vs kernel: pps {p/kp:.2f}x, CPU per packet {kc/c:.2f}x"
        out[m + "_pps_vs_kernel"] = round(p / kp, 3)
        out[m + "_cpu_vs_kernel"] = round(kc / c, 3)
    print(line)
print(json.dumps(out))
PY

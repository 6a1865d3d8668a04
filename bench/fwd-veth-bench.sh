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
# CPUs (the machine has two): the generator runs on CPU 0 (GEN_CPU), the
# forwarding on CPU 1 (FWD_CPU), so that each side has a core of its own
# and neither steals from the other.  veth hands a frame to its peer's
# receive path on the CPU that sent it, so without more the kernel would
# forward on the generator's CPU; RPS on r0 (rps_cpus = FWD_CPU) moves the
# receive processing of r0 (the kernel's forwarding, or AF_PACKET copying
# the frame into cenfwd's ring) to FWD_CPU in every run, and cenfwd (both
# its threads) is pinned there with taskset.  What goes out of r1 is
# received by dst on the CPU that sent it: FWD_CPU, in every run.  For
# AF_XDP, the veth's NAPI (where XDP runs) is made threaded and its thread
# pinned to FWD_CPU too.  The cend node (idle after the FIB is out) is on
# GEN_CPU.
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
	set -- $x
	# a userspace forwarder sees frames as on the wire: no offloads
	nsx "$1" ethtool -K "$2" tx off tso off gso off gro off >/dev/null 2>&1 ||
		true
	nsx "$1" ip link set "$2" up
done
mac() { nsx "$1" cat "/sys/class/net/$2/address"; }
MAC_S=$(mac "$NS_S" eth0) MAC_D=$(mac "$NS_D" eth0) MAC_R0=$(mac "$NS_R" r0)
nsx "$NS_S" ip addr add 10.1.0.10/24 dev eth0
nsx "$NS_S" ip route add default via 10.1.0.1
nsx "$NS_D" ip addr add 10.2.0.10/24 dev eth0
nsx "$NS_D" ip route add default via 10.2.0.1
# r0's receive processing on FWD_CPU (see the header)
nsx "$NS_R" sh -c "printf '%x' $((1 << FWD_CPU)) >/sys/class/net/r0/queues/rx-0/rps_cpus"

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

start_cluster()
{
	# not through nsx: $! must be the process itself, to kill it
	ip netns exec "$NS_R" taskset -c "$GEN_CPU" "$BUILD/cend" --id 1 \
		--region cn-hangzhou --data-dir "$W/n1" \
		--raft-addr 127.0.0.1:7201 --api-addr 127.0.0.1:7101 \
		--initial-cluster 1=127.0.0.1:7201 >"$W/cend.log" 2>&1 &
	CEND_PID=$!
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
		# XDP on veth runs in r0's NAPI, on the sending CPU unless
		# threaded: make it a thread, on FWD_CPU
		wait_for 10 "XDP on r0" bash -c \
			"ip netns exec $NS_R ip link show r0 | grep -q xdp"
		nsx "$NS_R" sh -c 'echo 1 >/sys/class/net/r0/threaded' ||
			fail "threaded NAPI on r0"
		pin_napi
	fi
	wait_for 30 "cenfwd ($1) to forward" ping_ok
}

# The kernel threads of r0's NAPI (napi/r0-ID), on FWD_CPU.
pin_napi()
{
	local pid
	for pid in $(pgrep '^napi/r0-' || true); do
		taskset -pc "$FWD_CPU" "$pid" >/dev/null
	done
}

fwd_stop()
{
	kill -TERM "$FWD_PID" 2>/dev/null || true
	wait "$FWD_PID" 2>/dev/null || true
	FWD_PID=""
}

# ---- one measurement -------------------------------------------------------------

# cpu_busy: "busy total" jiffies of FWD_CPU and GEN_CPU from /proc/stat.
cpu_jiffies()
{
	awk -v c="cpu$1" '$1 == c { print $2+$3+$4+$7+$8, $2+$3+$4+$5+$6+$7+$8 }' /proc/stat
}

rx_count() { nsx "$NS_D" cat /sys/class/net/eth0/statistics/rx_packets; }

# blast NAME: runs the generator SECONDS + 2 s; the rate is what dst
# received between 1 s in and 1 s before the end.
blast()
{
	local name=$1 c0 c1 t0 t1 f0 f1 g0 g1
	ip netns exec "$NS_S" taskset -c "$GEN_CPU" "$BUILD/pktgen" --if eth0 \
		--dst-mac "$MAC_R0" --src 10.1.0.10 --dst 10.2.0.10 \
		--flows "$FLOWS" --seconds $((SECONDS_RUN + 2)) \
		>"$W/gen-$name.json" 2>"$W/gen.log" &
	local gen=$!
	sleep 1
	c0=$(rx_count) t0=$(date +%s.%N)
	read -r f0 ft0 < <(cpu_jiffies "$FWD_CPU")
	read -r g0 gt0 < <(cpu_jiffies "$GEN_CPU")
	if [ -n "$PERF_DIR" ]; then
		perf record -q -C "$FWD_CPU" -g -o "$PERF_DIR/perf-$name.data" \
			-- sleep "$SECONDS_RUN" >/dev/null 2>&1
	else
		sleep "$SECONDS_RUN"
	fi
	c1=$(rx_count) t1=$(date +%s.%N)
	read -r f1 ft1 < <(cpu_jiffies "$FWD_CPU")
	read -r g1 gt1 < <(cpu_jiffies "$GEN_CPU")
	wait "$gen" || fail "pktgen"
	python3 - "$name" "$c0" "$c1" "$t0" "$t1" "$W/gen-$name.json" \
		"$f0" "$ft0" "$f1" "$ft1" "$g0" "$gt0" "$g1" "$gt1" <<'PY' >>"$W/results"
import json, sys
a = sys.argv
g = json.load(open(a[6]))
fb, ft = int(a[9]) - int(a[7]), int(a[10]) - int(a[8])
gb, gt = int(a[13]) - int(a[11]), int(a[14]) - int(a[12])
print(json.dumps({"mode": a[1],
    "pps": round((int(a[3]) - int(a[2])) / (float(a[5]) - float(a[4]))),
    "offered_pps": round(g["pps"]),
    "gen_refused": g["refused"],
    "fwd_cpu_busy": round(fb / ft, 2) if ft else None,
    "gen_cpu_busy": round(gb / gt, 2) if gt else None}))
PY
	tail -n 1 "$W/results"
}

# ---- the runs ---------------------------------------------------------------------

echo "# $(nproc) CPUs; generator on CPU $GEN_CPU, forwarding on CPU $FWD_CPU;" \
	"$FLOWS flows, 60-byte frames, ${SECONDS_RUN}s a run, $REPEAT rounds"
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
for r in $(seq 1 "$REPEAT"); do
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

python3 - "$W/results" "$SECONDS_RUN" "$FLOWS" <<'PY'
import json, statistics, sys
runs = [json.loads(l) for l in open(sys.argv[1])]
med = {}
for r in runs:
    med.setdefault(r["mode"], []).append(r["pps"])
k = statistics.median(med["kernel"])
out = {"bench": "fwd-veth", "seconds": float(sys.argv[2]),
       "flows": int(sys.argv[3]), "frame_bytes": 64}
for m, v in med.items():
    mm = statistics.median(v)
    print(f"{m:9s} median {mm/1e6:6.3f} Mpps  runs "
          + " ".join(f"{x/1e6:.3f}" for x in v)
          + ("" if m == "kernel" else f"  ratio {mm/k:.2f}x"))
    out[m + "_pps"] = round(mm)
    if m != "kernel":
        out[m + "_vs_kernel"] = round(mm / k, 3)
print(json.dumps(out))
PY

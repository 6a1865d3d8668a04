#!/bin/bash
# fwd_io.sh - cenfwd between two VPCs in network namespaces, once per kind
# of port (AF_PACKET, then AF_XDP when the kernel and libxdp allow it),
# over IPv4 and IPv6: the hosts' kernels resolve their gateway with ARP and
# neighbour discovery, ping each other through the forwarder, and a ping
# with TTL 1 gets its time exceeded from the gateway.
set -euo pipefail
# shellcheck source=tests/integration/lib/cluster.bash
. "$(dirname "$0")/lib/cluster.bash"

CENFWD=$CEND_BUILD_DIR/cenfwd
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root (network namespaces)"; exit 0; }
for b in ip ping ethtool; do
	command -v $b >/dev/null || { echo "SKIP: $b not installed"; exit 0; }
done

S=$(($$ % 10000))
NS_A=cia$S NS_B=cib$S IF_A=ia$S IF_B=ib$S
FWD_PID=""

io_cleanup()
{
	if [ -n "$FWD_PID" ]; then
		kill -9 "$FWD_PID" 2>/dev/null || true
	fi
	ip netns del "$NS_A" 2>/dev/null || true
	ip netns del "$NS_B" 2>/dev/null || true
	ip link del "$IF_A" 2>/dev/null || true
	ip link del "$IF_B" 2>/dev/null || true
	t_cleanup
}
trap io_cleanup EXIT

fail()
{
	[ -f "$T_WORK/fwd.log" ] && tail -n 30 "$T_WORK/fwd.log" >&2
	t_fail "$@"
}

nsx()
{
	local ns=$1
	shift
	ip netns exec "$ns" "$@"
}

veth()
{
	ip link add "$1" type veth peer name "$2"
	ip link set "$2" netns "$3"
	nsx "$3" ip link set "$2" name eth0
	ethtool -K "$1" tx off tso off gso off gro off >/dev/null 2>&1 || true
	nsx "$3" ethtool -K eth0 tx off tso off gso off gro off >/dev/null 2>&1 || true
	sysctl -qw "net.ipv6.conf.$1.disable_ipv6=1"
	ip link set "$1" up
	nsx "$3" ip link set lo up
	nsx "$3" ip link set eth0 up
}

ip netns add "$NS_A"
ip netns add "$NS_B"
veth "$IF_A" xa$S "$NS_A"
veth "$IF_B" xb$S "$NS_B"
nsx "$NS_A" ip addr add 10.1.0.10/24 dev eth0
nsx "$NS_A" ip route add default via 10.1.0.1
nsx "$NS_A" ip -6 addr add 2001:db8:1::10/64 dev eth0 nodad
nsx "$NS_A" ip -6 route add default via 2001:db8:1::1
nsx "$NS_B" ip addr add 10.2.0.10/24 dev eth0
nsx "$NS_B" ip route add default via 10.2.0.1
nsx "$NS_B" ip -6 addr add 2001:db8:2::10/64 dev eth0 nodad
nsx "$NS_B" ip -6 route add default via 2001:db8:2::1

t_node_init 1
t_node_start 1 --initial-cluster "1=${T_RAFT[1]}"
t_wait 20 "a leader" t_has_leader 1
cat >"$T_WORK/topo.yaml" <<EOF
cen: {id: cen-io}
regions:
  - id: cn-hangzhou
    route_tables: [{id: rt-hz-system, system: true}]
attachments:
  - {id: vpc-a, type: VPC, region: cn-hangzhou, vswitch_cidrs: [10.1.0.0/24, '2001:db8:1::/64']}
  - {id: vpc-b, type: VPC, region: cn-hangzhou, vswitch_cidrs: [10.2.0.0/24, '2001:db8:2::/64']}
EOF
t_ctl 1 apply -f "$T_WORK/topo.yaml" >/dev/null ||
	fail "apply: $(t_ctl 1 apply -f "$T_WORK/topo.yaml" 2>&1)"

ping_ok()
{
	nsx "$1" ping -c 1 -W 1 "$2" >/dev/null 2>&1
}

run_with()
{
	local io=$1 api
	api=127.0.$T_NET.50:$(t_port 50)
	cat >"$T_WORK/fwd.yaml" <<EOF
id: fwd-io
region: cn-hangzhou
cluster: [${T_API[1]}]
api: $api
io: $io
ports:
  - {interface: $IF_A, attachment: vpc-a}
  - {interface: $IF_B, attachment: vpc-b}
EOF
	: >"$T_WORK/fwd.log"
	"$CENFWD" --config "$T_WORK/fwd.yaml" >>"$T_WORK/fwd.log" 2>&1 &
	FWD_PID=$!
	t_wait 20 "$io: vpc-a to reach vpc-b over IPv4" ping_ok "$NS_A" 10.2.0.10
	t_wait 20 "$io: vpc-b to reach vpc-a over IPv6" ping_ok "$NS_B" 2001:db8:1::10
	ping_ok "$NS_A" 2001:db8:2::10 || fail "$io: IPv6 from vpc-a"
	out=$(nsx "$NS_A" ping -c 1 -W 1 -t 1 10.2.0.10 2>&1 || true)
	grep -q "Time to live exceeded" <<<"$out" ||
		fail "$io: no time exceeded for TTL 1: $out"
	grep -q "From 10.1.0.1" <<<"$out" ||
		fail "$io: the time exceeded did not come from the gateway: $out"
	"$CENCTL" --endpoints "$api" forwarder stats | grep -E "^(vpc-a|vpc-b) " >&2
	kill -TERM "$FWD_PID"
	wait "$FWD_PID" 2>/dev/null || true
	FWD_PID=""
	echo "ok: $io forwards IPv4 and IPv6"
}

run_with afpacket
# (cenfwd has AF_XDP when libxdp was there at build time)
if pkg-config --exists libxdp 2>/dev/null; then
	run_with xdp
else
	echo "SKIP: AF_XDP: libxdp is not installed"
fi
echo PASS

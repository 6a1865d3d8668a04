# shellcheck shell=bash
# scripts/hybrid-net.sh - examples/hybrid.yaml brought to life on one
# machine, for scripts/demo and tests/integration/regions.sh: two regions of
# three cend nodes each, the data centre's two CE routers (BIRD and FRR) and
# the branch's (BIRD) on the loopback addresses hybrid.yaml names, a cenfwd
# per region, and hosts in network namespaces:
#
#   cn-hangzhou nodes 127.0.1.{1,2,3}     cn-shanghai nodes 127.0.2.{1,2,3}
#   (API :7101, Raft :7201, BGP :179)
#
#   ns bua  10.1.0.10  (vpc-bu-a) --\                    /-- ns shr 10.9.0.10
#   ns bub  10.2.0.10  (vpc-bu-b) ---  fwd-hz ==backbone== fwd-sh   (vpc-shared)
#                                                         \-- ns brn 10.200.0.1
#                                                              (ccn-branch-1)
#   ns trk: the two circuits, 802.1Q  -/   192.168.100.1/.2
#   ns dc:  the data centre: 10.10.10.2 (VLAN 101), 10.10.11.2 (VLAN 102),
#           servers 192.168.10.1 and 172.16.0.1
#
# The CEs announce the data centre's server LAN 192.168.10.0/24 over both
# circuits (ECMP) and the branch's LAN 10.200.0.0/16.  Everything runs as
# root; everything started is recorded and stopped by hn_cleanup.
#
# Needs: HN_BUILD (cend, cenctl, cenfwd, vlansplit), HN_WORK (a scratch
# directory), HN_TOPO (hybrid.yaml); optional HN_GRACE_MS (how long a
# region may be silent before its routes go, default 30000).

HN_REGIONS=(cn-hangzhou cn-shanghai)
declare -A HN_NET=([cn-hangzhou]=127.0.1 [cn-shanghai]=127.0.2)
declare -A HN_PID
HN_S=$(($$ % 1000))
HN_NS=(bua$HN_S bub$HN_S trk$HN_S dc$HN_S shr$HN_S brn$HN_S)
HN_LINKS=()

hn_say()
{
	echo "[hybrid] $*"
}

hn_nsx()
{
	local ns=$1
	shift
	ip netns exec "$ns$HN_S" "$@"
}

# All the endpoints of a region's API, comma separated.
hn_endpoints()
{
	local r=$1 i list=""
	for i in 1 2 3; do
		list+="${list:+,}${HN_NET[$r]}.$i:7101"
	done
	echo "$list"
}

hn_ctl()
{
	local r=$1
	shift
	"$HN_BUILD/cenctl" --endpoints "$(hn_endpoints "$r")" "$@"
}

# hn_wait SECONDS WHAT COMMAND...: polls COMMAND until it succeeds.
hn_wait()
{
	local secs=$1 what=$2 deadline
	shift 2
	deadline=$((SECONDS + secs))
	while ! "$@" >/dev/null 2>&1; do
		if [ $SECONDS -ge $deadline ]; then
			hn_say "timed out after ${secs}s waiting for $what"
			return 1
		fi
		sleep 0.2
	done
}

# ---- the clusters -----------------------------------------------------------

hn_node_start()
{
	local r=$1 i=$2 other net list=""
	net=${HN_NET[$r]}
	for other in "${HN_REGIONS[@]}"; do
		[ "$other" = "$r" ] && continue
		list+=" --region-peer $other=$(hn_endpoints "$other")"
	done
	# shellcheck disable=SC2086 # $list is flags
	"$HN_BUILD/cend" --id "$i" --region "$r" --data-dir "$HN_WORK/$r-$i" \
		--raft-addr "$net.$i:7201" --api-addr "$net.$i:7101" \
		--bgp-addr "$net.$i:179" \
		--initial-cluster "1=$net.1:7201,2=$net.2:7201,3=$net.3:7201" \
		--region-grace-ms "${HN_GRACE_MS:-30000}" $list \
		>>"$HN_WORK/$r-$i.log" 2>&1 &
	HN_PID[$r-$i]=$!
}

hn_has_leader()
{
	hn_ctl "$1" -w json endpoint status | grep -q '"state": *"leader"'
}

hn_cluster_start()
{
	local r=$1 i
	for i in 1 2 3; do
		hn_node_start "$r" "$i"
	done
}

hn_cluster_stop()
{
	local r=$1 i
	for i in 1 2 3; do
		kill -TERM "${HN_PID[$r-$i]}" 2>/dev/null || true
	done
	for i in 1 2 3; do
		wait "${HN_PID[$r-$i]}" 2>/dev/null || true
		unset "HN_PID[$r-$i]"
	done
}

# ---- the customer edges (on loopback, as hybrid.yaml says) ------------------

hn_bird()
{
	local name=$1 addr=$2 as=$3 nets=$4 md5=$5
	shift 5
	local d=$HN_WORK/ce-$name hub p
	mkdir -p "$d"
	{
		echo "log \"$d/bird.log\" all;"
		echo "router id $addr;"
		echo "protocol device { }"
		echo "protocol static lan { ipv4;"
		for p in $nets; do
			echo "  route $p blackhole;"
		done
		echo "}"
		for hub in "$@"; do
			echo "protocol bgp hub_${hub//./_} {"
			echo "  local $addr port 179 as $as;"
			echo "  neighbor $hub port 179 as 45104;"
			echo "  strict bind on; multihop; connect retry time 1;"
			[ -n "$md5" ] && echo "  password \"$md5\";"
			echo "  ipv4 { import all; export where proto = \"lan\"; };"
			echo "}"
		done
	} >"$d/bird.conf"
	/usr/sbin/bird -f -c "$d/bird.conf" -s "$d/bird.ctl" \
		>>"$d/bird.out" 2>&1 &
	HN_PID[ce-$name]=$!
}

hn_frr()
{
	local name=$1 addr=$2 as=$3 nets=$4
	shift 4
	local d=$HN_WORK/ce-$name hub p
	mkdir -p "$d"
	{
		echo "hostname $name"
		echo "router bgp $as"
		echo " bgp router-id $addr"
		echo " no bgp ebgp-requires-policy"
		echo " no bgp network import-check"
		echo " bgp allow-martian-nexthop"
		for hub in "$@"; do
			echo " neighbor $hub remote-as 45104"
			echo " neighbor $hub update-source $addr"
			echo " neighbor $hub ebgp-multihop 2"
			echo " neighbor $hub timers connect 1"
		done
		echo " address-family ipv4 unicast"
		for hub in "$@"; do
			echo "  neighbor $hub activate"
		done
		for p in $nets; do
			echo "  network $p"
		done
		echo " exit-address-family"
	} >"$d/bgpd.conf"
	/usr/lib/frr/bgpd -f "$d/bgpd.conf" -i "$d/bgpd.pid" \
		-z "$d/zserv.api" --vty_socket "$d" -P 0 -l "$addr" -p 179 \
		-Z -S --log "file:$d/bgpd.log" >>"$d/bgpd.out" 2>&1 &
	HN_PID[ce-$name]=$!
}

hn_ces_start()
{
	# vbr-dc-1's CE: BIRD, MD5 as the model says, to nodes 1 and 2
	hn_bird dc1 127.0.0.11 65001 "192.168.10.0/24" s3cret \
		127.0.1.1 127.0.1.2
	# vbr-dc-2's CE: FRR, to nodes 2 and 3
	hn_frr dc2 127.0.0.12 65001 "192.168.10.0/24" 127.0.1.2 127.0.1.3
	# the branch's smart gateway: BIRD, to cn-shanghai's node 1
	hn_bird branch 127.0.0.21 65101 "10.200.0.0/16" "" 127.0.2.1
}

# ---- the data path ----------------------------------------------------------

# hn_veth HERE THERE NS NAME: HERE stays in the root namespace (a
# forwarder's port: no addresses, no IPv6), THERE goes to NS as NAME; no
# offloads (a user-space forwarder sees frames as on the wire).
hn_veth()
{
	ip link add "$1" type veth peer name "$2"
	HN_LINKS+=("$1")
	ip link set "$2" netns "$3$HN_S"
	hn_nsx "$3" ip link set "$2" name "$4"
	sysctl -qw "net.ipv6.conf.$1.disable_ipv6=1"
	ethtool -K "$1" tx off tso off gso off gro off >/dev/null 2>&1 || true
	hn_nsx "$3" ethtool -K "$4" tx off tso off gso off gro off >/dev/null 2>&1 || true
	ip link set "$1" up
	hn_nsx "$3" ip link set "$4" up
}

hn_net_up()
{
	local n i
	for n in "${HN_NS[@]}"; do
		ip netns add "$n"
		ip netns exec "$n" ip link set lo up
	done
	hn_veth hza$HN_S hzap$HN_S bua eth0
	hn_veth hzb$HN_S hzbp$HN_S bub eth0
	hn_veth hzd1$HN_S hzd1p$HN_S trk t1
	hn_veth hzd2$HN_S hzd2p$HN_S trk t2
	hn_veth sha$HN_S shap$HN_S shr eth0
	hn_veth shc$HN_S shcp$HN_S brn eth0
	# the backbone between the two forwarders, jumbo for VXLAN
	ip link add hzbb$HN_S type veth peer name shbb$HN_S
	HN_LINKS+=(hzbb$HN_S)
	for n in hzbb$HN_S shbb$HN_S; do
		sysctl -qw "net.ipv6.conf.$n.disable_ipv6=1"
		ethtool -K "$n" tx off tso off gso off gro off >/dev/null 2>&1 || true
		ip link set "$n" mtu 9000 up
	done
	# the CE's two links, untagged, from the trunk namespace
	for i in 1 2; do
		ip link add c$i$HN_S type veth peer name e$i$HN_S
		ip link set c$i$HN_S netns trk$HN_S
		ip link set e$i$HN_S netns dc$HN_S
		hn_nsx trk ip link set c$i$HN_S name a$i
		hn_nsx dc ip link set e$i$HN_S name eth$i
		hn_nsx trk ethtool -K a$i tx off tso off gso off gro off >/dev/null 2>&1 || true
		hn_nsx dc ethtool -K eth$i tx off tso off gso off gro off >/dev/null 2>&1 || true
		hn_nsx trk ip link set a$i up
		hn_nsx dc ip link set eth$i up
	done
	hn_nsx trk "$HN_BUILD/vlansplit" t1/101=a1 t2/102=a2 \
		>"$HN_WORK/vlansplit.log" 2>&1 &
	hn_nsx bua ip addr add 10.1.0.10/24 dev eth0
	hn_nsx bua ip route add default via 10.1.0.1
	hn_nsx bub ip addr add 10.2.0.10/24 dev eth0
	hn_nsx bub ip route add default via 10.2.0.1
	hn_nsx shr ip addr add 10.9.0.10/24 dev eth0
	hn_nsx shr ip route add default via 10.9.0.1
	hn_nsx brn ip addr add 10.200.0.1/16 dev eth0
	hn_nsx brn ip route add default via 10.200.255.254
	hn_nsx dc ip addr add 10.10.10.2/30 dev eth1
	hn_nsx dc ip addr add 10.10.11.2/30 dev eth2
	hn_nsx dc ip addr add 192.168.10.1/32 dev lo
	hn_nsx dc ip addr add 172.16.0.1/32 dev lo
	hn_nsx dc ip route add 10.0.0.0/8 \
		nexthop via 10.10.10.1 dev eth1 nexthop via 10.10.11.1 dev eth2
	# the health check's answers go back over the circuit they came on
	hn_nsx dc ip route add 100.96.0.10/32 via 10.10.10.1 dev eth1
}

hn_fwd_start()
{
	local r=$1 f=$HN_WORK/fwd-$r.yaml
	case $r in
	cn-hangzhou)
		cat >"$f" <<EOF
id: fwd-hz-1
region: cn-hangzhou
cluster: [$(hn_endpoints cn-hangzhou)]
data_dir: $HN_WORK/fwd-hz
api: 127.0.1.50:7301
ports:
  - {interface: hza$HN_S, attachment: vpc-bu-a}
  - {interface: hzb$HN_S, attachment: vpc-bu-b}
  - interface: hzd1$HN_S          # pc-hz-1
    vlans: [{attachment: vbr-dc-1}]
  - interface: hzd2$HN_S          # pc-hz-2
    vlans: [{attachment: vbr-dc-2}]
  - interface: hzbb$HN_S
    backbone:
      address: 192.168.100.1/24
      peers: [{region: cn-shanghai, address: 192.168.100.2}]
EOF
		;;
	cn-shanghai)
		cat >"$f" <<EOF
id: fwd-sh-1
region: cn-shanghai
cluster: [$(hn_endpoints cn-shanghai)]
data_dir: $HN_WORK/fwd-sh
api: 127.0.2.50:7301
ports:
  - {interface: sha$HN_S, attachment: vpc-shared}
  - {interface: shc$HN_S, attachment: ccn-branch-1, gateway: 10.200.255.254/16}
  - interface: shbb$HN_S
    backbone:
      address: 192.168.100.2/24
      peers: [{region: cn-hangzhou, address: 192.168.100.1}]
EOF
		;;
	esac
	"$HN_BUILD/cenfwd" --config "$f" >>"$HN_WORK/fwd-$r.log" 2>&1 &
	HN_PID[fwd-$r]=$!
}

hn_fwd_api()
{
	case $1 in
	cn-hangzhou) echo 127.0.1.50:7301 ;;
	cn-shanghai) echo 127.0.2.50:7301 ;;
	esac
}

hn_fwd_stats()
{
	"$HN_BUILD/cenctl" --endpoints "$(hn_fwd_api "$1")" "${@:2}" forwarder stats
}

hn_ping()
{
	hn_nsx "$1" ping -c 1 -W 1 ${3:+-e $3} "$2" >/dev/null 2>&1
}

hn_cleanup()
{
	local k n
	local deadline=$((SECONDS + 5)) left
	for k in "${!HN_PID[@]}"; do
		kill -TERM "${HN_PID[$k]}" 2>/dev/null || true
	done
	# (a moment for them to go on their own, then no more waiting)
	while :; do
		left=0
		for k in "${!HN_PID[@]}"; do
			kill -0 "${HN_PID[$k]}" 2>/dev/null && left=1
		done
		[ $left = 0 ] || [ $SECONDS -ge $deadline ] && break
		sleep 0.1
	done
	for k in "${!HN_PID[@]}"; do
		kill -9 "${HN_PID[$k]}" 2>/dev/null || true
	done
	for n in "${HN_NS[@]}"; do
		ip netns pids "$n" 2>/dev/null | xargs -r kill -9 2>/dev/null || true
		ip netns del "$n" 2>/dev/null || true
	done
	for n in "${HN_LINKS[@]}"; do
		ip link del "$n" 2>/dev/null || true
	done
	wait 2>/dev/null || true
}

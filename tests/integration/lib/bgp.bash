# shellcheck shell=bash
# tests/integration/lib/bgp.bash - helpers for BGP interop tests: a cend
# cluster with a BGP speaker on every node, and customer-edge routers (BIRD 2,
# FRR bgpd, GoBGP, OpenBGPD, ExaBGP) on their own loopback addresses
# 127.0.T_NET.(10+k), each with its configuration, logs and control socket
# under T_WORK/ce-NAME.  Routers never touch the kernel's routing table.
# Every wait polls with a deadline; everything started is stopped on exit.
# Sourced after lib/cluster.bash.

declare -A T_BGP CE_PID CE_KIND CE_ADDR CE_AS CE_DIR CE_API
BIRD_EXTRA=() BIRD_FLAGS=()
HUB_AS=45104

# Stops the routers (SIGTERM, so that OpenBGPD's parent collects its
# children; SIGKILL for those still there after 5 s), then does the
# cluster's own cleanup.
bgp_cleanup()
{
	local n left deadline=$((SECONDS + 5))
	for n in "${!CE_PID[@]}"; do
		kill -TERM "${CE_PID[$n]}" 2>/dev/null || true
		kill -CONT "${CE_PID[$n]}" 2>/dev/null || true
	done
	while :; do
		left=0
		for n in "${!CE_PID[@]}"; do
			kill -0 "${CE_PID[$n]}" 2>/dev/null && left=1
		done
		[ $left = 0 ] || [ $SECONDS -ge $deadline ] && break
		sleep 0.1
	done
	for n in "${!CE_PID[@]}"; do
		kill -9 "${CE_PID[$n]}" 2>/dev/null || true
	done
	t_cleanup
}
trap bgp_cleanup EXIT

# Dumps the routers' logs too when a check fails.
bgp_fail()
{
	local n f
	for n in "${!CE_DIR[@]}"; do
		for f in "${CE_DIR[$n]}"/*.log; do
			[ -s "$f" ] || continue
			echo "--- $f (last 15 lines)" >&2
			# (FRR's bgpd runs without zebra and says so often)
			grep -v "zclient" "$f" | tail -n 15 >&2
		done
	done
	t_fail "$@"
}

# bgp_need KIND: succeeds when the daemon of KIND is installed; says SKIP
# otherwise (the package could not be installed here).
bgp_need()
{
	local bin pkg
	case $1 in
	bird) bin=/usr/sbin/bird pkg=bird2 ;;
	frr) bin=/usr/lib/frr/bgpd pkg=frr ;;
	gobgp) bin=/usr/bin/gobgpd pkg=gobgpd ;;
	openbgpd) bin=/usr/sbin/bgpctl pkg=openbgpd ;;
	exabgp) bin=/usr/sbin/exabgp pkg=exabgp ;;
	esac
	if [ -x "$bin" ]; then
		return 0
	fi
	echo "SKIP: $1: $bin not found (Debian package $pkg not installed)"
	return 1
}

# bgp_cluster_start N: nodes 1..N with --bgp-addr 127.0.T_NET.ID:PORT, and
# waits for a leader.
bgp_cluster_start()
{
	local n=$1 i list
	for i in $(seq 1 "$n"); do
		t_node_init "$i"
		T_BGP[$i]=$(t_port "$i")
	done
	list=$(t_cluster_list "$n")
	for i in $(seq 1 "$n"); do
		bgp_node_start "$i" --initial-cluster "$list"
	done
	t_wait 20 "a leader" t_has_leader $(seq 1 "$n")
}

bgp_node_start()
{
	local id=$1
	shift
	t_node_start "$id" --bgp-addr "127.0.$T_NET.$id:${T_BGP[$id]}" "$@"
}

# ce_init NAME KIND HOST AS: a router NAME of KIND on 127.0.T_NET.HOST.
ce_init()
{
	local name=$1
	CE_KIND[$name]=$2
	CE_ADDR[$name]=127.0.$T_NET.$3
	CE_AS[$name]=$4
	CE_DIR[$name]=$T_WORK/ce-$name
	mkdir -p "${CE_DIR[$name]}"
	# the port the router listens on; cend connects there
	CE_PORT[$name]=$(t_port "$3")
}
declare -A CE_PORT

# The model's peer entry for router NAME held by NODE, with extra YAML
# fields (e.g. "md5_key: k, route_quota: 3").
ce_peer_yaml()
{
	local name=$1 node=$2 extra=${3:-}
	echo "        - {address: ${CE_ADDR[$name]}, asn: ${CE_AS[$name]}, nodes: [$node], port: ${CE_PORT[$name]}, hold_time_s: 9${extra:+, $extra}}"
}

# A VBR attachment ID with the peers given as YAML lines on stdin.
vbr_yaml()
{
	local id=$1 vlan=$2
	cat <<EOF
  - id: $id
    type: VBR
    region: cn-hangzhou
    physical_connection: pc-1
    vlan: $vlan
    bandwidth_mbps: 100
    bgp:
      peers:
EOF
	cat
}

# The head of a topology: one region, its system table, a physical
# connection, and VPCs vpc-a (10.1.0.0/24) and vpc-b (10.2.0.0/24).
topo_head()
{
	cat <<EOF
cen:
  id: cen-interop
  asn: $HUB_AS
regions:
  - id: cn-hangzhou
    route_tables:
      - id: rt-hz-system
        system: true
physical_connections:
  - id: pc-1
    region: cn-hangzhou
    access_point: ap-1
    speed_gbps: 10
attachments:
  - id: vpc-a
    type: VPC
    region: cn-hangzhou
    vswitch_cidrs: [10.1.0.0/24]
  - id: vpc-b
    type: VPC
    region: cn-hangzhou
    vswitch_cidrs: [10.2.0.0/24]
EOF
}

# ---- BIRD 2 ----------------------------------------------------------------

# ce_routes NAME K: the prefixes router NAME originates: two IPv4 /24s it
# keeps (10.(100+K).0.0, .2.0) and one it withdraws (.1.0); an IPv6 /48 it
# keeps and a /64 it withdraws.  Communities: (AS,100).
declare -A CE_R4KEEP CE_R4GONE CE_R6KEEP CE_R6GONE
ce_routes()
{
	local name=$1 k=$2
	CE_R4KEEP[$name]="10.$((100 + k)).0.0/24 10.$((100 + k)).2.0/24"
	CE_R4GONE[$name]="10.$((100 + k)).1.0/24"
	CE_R6KEEP[$name]="2001:db8:$k::/48"
	CE_R6GONE[$name]="2001:db8:$k:1::/64"
}

# bird_start NAME NODE [OPTIONS...]: BIRD for router NAME peering with
# cend node NODE.  Options: send (originate the prefixes of ce_routes as
# static protocols r4keep, r4gone, r6keep, r6gone, and the routes of
# BIRD_EXTRA, a list of "PROTOCOL PREFIX"), v6 (an IPv6 channel too),
# md5=KEY, hold=S, gr (graceful restart with every family, restart time
# 60 s), recover (start in graceful restart recovery: BIRD -R).
bird_start()
{
	bird_conf "$@"
	/usr/sbin/bird -f "${BIRD_FLAGS[@]}" -c "${CE_DIR[$1]}/bird.conf" \
		-s "${CE_DIR[$1]}/bird.ctl" >>"${CE_DIR[$1]}/bird.out.log" 2>&1 &
	CE_PID[$1]=$!
}

# bird_conf NAME NODE [OPTIONS...]: only writes the configuration that
# bird_start would start with (for `birdc configure`).
bird_conf()
{
	local name=$1 node=$2 opt send=0 v6=0 md5="" hold=9 gr=0
	shift 2
	BIRD_FLAGS=()
	for opt in "$@"; do
		case $opt in
		send) send=1 ;;
		v6) v6=1 ;;
		md5=*) md5=${opt#md5=} ;;
		hold=*) hold=${opt#hold=} ;;
		gr) gr=1 ;;
		recover) BIRD_FLAGS+=(-R) ;;
		esac
	done
	local d=${CE_DIR[$name]} a=${CE_ADDR[$name]} as=${CE_AS[$name]}
	local exp="none"
	[ $send = 1 ] && exp="filter to_hub"
	{
		echo "log \"$d/bird.log\" all;"
		echo "router id $a;"
		echo "protocol device { }"
		if [ $send = 1 ]; then
			echo "filter to_hub {"
			echo "  bgp_community.add(($as,100));"
			echo "  accept;"
			echo "}"
			# shellcheck disable=SC2086 # one word per prefix
			bird_static r4keep ipv4 ${CE_R4KEEP[$name]}
			# shellcheck disable=SC2086
			bird_static r4gone ipv4 ${CE_R4GONE[$name]}
			# shellcheck disable=SC2086
			bird_static r6keep ipv6 ${CE_R6KEEP[$name]}
			# shellcheck disable=SC2086
			bird_static r6gone ipv6 ${CE_R6GONE[$name]}
			local x
			for x in "${BIRD_EXTRA[@]}"; do
				# shellcheck disable=SC2086 # name and prefix
				bird_static ${x%% *} ipv4 ${x#* }
			done
		fi
		echo "protocol bgp hub {"
		echo "  local $a port ${CE_PORT[$name]} as $as;"
		echo "  neighbor 127.0.$T_NET.$node port ${T_BGP[$node]} as $HUB_AS;"
		# strict bind: listen on its own address only, not on every
		# address (routers of other tests may use the same port)
		echo "  multihop; strict bind on; hold time $hold;"
		echo "  connect retry time 1;"
		[ -n "$md5" ] && echo "  password \"$md5\";"
		[ $gr = 1 ] && echo "  graceful restart on; graceful restart time 60;"
		echo "  ipv4 { import all; export $exp; };"
		if [ $v6 = 1 ]; then
			echo "  ipv6 { import all; export $exp;"
			# IPv6 over this IPv4 session: the next hops are
			# IPv4-mapped IPv6 addresses (RFC 4798)
			echo "    extended next hop on; };"
		fi
		echo "}"
	} >"$d/bird.conf"
}

bird_static()
{
	local name=$1 fam=$2 p
	shift 2
	echo "protocol static $name { $fam;"
	for p in "$@"; do
		echo "  route $p blackhole;"
	done
	echo "}"
}

birdc_q()
{
	birdc -s "${CE_DIR[$1]}/bird.ctl" "${@:2}"
}

# bird_up NAME: the session to the hub is Established.
bird_up()
{
	birdc_q "$1" show protocols hub 2>/dev/null | grep -q Established
}

bird_withdraw()
{
	birdc_q "$1" disable r4gone >/dev/null &&
		birdc_q "$1" disable r6gone >/dev/null
}

ce_stop()
{
	kill -TERM "${CE_PID[$1]}" 2>/dev/null || true
	wait "${CE_PID[$1]}" 2>/dev/null || true
	unset "CE_PID[$1]"
}

ce_kill()
{
	kill -9 "${CE_PID[$1]}" 2>/dev/null || true
	wait "${CE_PID[$1]}" 2>/dev/null || true
	unset "CE_PID[$1]"
}

# ---- cend side -------------------------------------------------------------

# peer_state NODE ADDR: the state cenctl peer show reports.
peer_state()
{
	t_ctl "$1" peer show "$2" 2>/dev/null | sed -n 's/^  BGP state = \(.*\), \(up\|down\) for.*/\1/p'
}

peer_established()
{
	[ "$(peer_state "$1" "$2")" = Established ]
}

# ---- FRR bgpd (without zebra) ----------------------------------------------

# frr_start NAME NODE [send] [v6]: FRR's bgpd alone (-Z: no zebra, no
# kernel), listening on its own address and port, its vty socket in its
# directory.
frr_start()
{
	local name=$1 node=$2 opt send=0 v6=0
	shift 2
	for opt in "$@"; do
		case $opt in
		send) send=1 ;;
		v6) v6=1 ;;
		esac
	done
	local d=${CE_DIR[$name]} a=${CE_ADDR[$name]} as=${CE_AS[$name]}
	local hub=127.0.$T_NET.$node p
	{
		echo "hostname $name"
		echo "route-map TO-HUB permit 10"
		echo " set community $as:100"
		echo "route-map NONE deny 10"
		echo "router bgp $as"
		echo " bgp router-id $a"
		echo " no bgp ebgp-requires-policy"
		echo " no bgp network import-check"
		# the hub's next hops are loopback addresses here
		echo " bgp allow-martian-nexthop"
		echo " neighbor $hub remote-as $HUB_AS"
		echo " neighbor $hub port ${T_BGP[$node]}"
		echo " neighbor $hub update-source $a"
		echo " neighbor $hub ebgp-multihop 2"
		echo " neighbor $hub timers 3 9"
		echo " neighbor $hub timers connect 1"
		echo " address-family ipv4 unicast"
		echo "  neighbor $hub activate"
		if [ $send = 1 ]; then
			for p in ${CE_R4KEEP[$name]} ${CE_R4GONE[$name]}; do
				echo "  network $p"
			done
			echo "  neighbor $hub route-map TO-HUB out"
		else
			echo "  neighbor $hub route-map NONE out"
		fi
		echo " exit-address-family"
		if [ $v6 = 1 ]; then
			echo " address-family ipv6 unicast"
			echo "  neighbor $hub activate"
			if [ $send = 1 ]; then
				for p in ${CE_R6KEEP[$name]} ${CE_R6GONE[$name]}; do
					echo "  network $p"
				done
				echo "  neighbor $hub route-map TO-HUB out"
			else
				echo "  neighbor $hub route-map NONE out"
			fi
			echo " exit-address-family"
		fi
	} >"$d/bgpd.conf"
	/usr/lib/frr/bgpd -f "$d/bgpd.conf" -i "$d/bgpd.pid" \
		-z "$d/zserv.api" --vty_socket "$d" -P 0 -l "$a" \
		-p "${CE_PORT[$name]}" -Z -S --log "file:$d/bgpd.log" \
		>>"$d/bgpd.out.log" 2>&1 &
	CE_PID[$name]=$!
}

vtysh_q()
{
	vtysh --vty_socket "${CE_DIR[$1]}" "${@:2}"
}

frr_withdraw()
{
	local name=$1 p args=(-c "configure terminal" -c "router bgp ${CE_AS[$1]}")
	args+=(-c "address-family ipv4 unicast")
	for p in ${CE_R4GONE[$name]}; do
		args+=(-c "no network $p")
	done
	args+=(-c "exit-address-family" -c "address-family ipv6 unicast")
	for p in ${CE_R6GONE[$name]}; do
		args+=(-c "no network $p")
	done
	vtysh_q "$name" "${args[@]}"
}

# ---- GoBGP -----------------------------------------------------------------

# gobgp_start NAME NODE [send] [v6]: gobgpd with its gRPC API on a unix
# socket in its directory; routes are added with the gobgp client.
gobgp_start()
{
	local name=$1 node=$2 opt send=0 v6=0
	shift 2
	for opt in "$@"; do
		case $opt in
		send) send=1 ;;
		v6) v6=1 ;;
		esac
	done
	local d=${CE_DIR[$name]} a=${CE_ADDR[$name]} as=${CE_AS[$name]}
	local hub=127.0.$T_NET.$node p
	{
		echo "[global.config]"
		echo "  as = $as"
		echo "  router-id = \"$a\""
		echo "  port = ${CE_PORT[$name]}"
		echo "  local-address-list = [\"$a\"]"
		echo "[[neighbors]]"
		echo "  [neighbors.config]"
		echo "    neighbor-address = \"$hub\""
		echo "    peer-as = $HUB_AS"
		echo "  [neighbors.transport.config]"
		echo "    local-address = \"$a\""
		echo "    remote-port = ${T_BGP[$node]}"
		echo "  [neighbors.timers.config]"
		echo "    hold-time = 9"
		echo "    keepalive-interval = 3"
		echo "    connect-retry = 1"
		echo "  [neighbors.ebgp-multihop.config]"
		echo "    enabled = true"
		echo "    multihop-ttl = 2"
		echo "  [[neighbors.afi-safis]]"
		echo "    [neighbors.afi-safis.config]"
		echo "      afi-safi-name = \"ipv4-unicast\""
		if [ $v6 = 1 ]; then
			echo "  [[neighbors.afi-safis]]"
			echo "    [neighbors.afi-safis.config]"
			echo "      afi-safi-name = \"ipv6-unicast\""
		fi
	} >"$d/gobgpd.toml"
	CE_API[$name]="unix://$d/gobgp.sock"
	/usr/bin/gobgpd -f "$d/gobgpd.toml" -p --pprof-disable \
		--api-hosts "${CE_API[$name]}" >>"$d/gobgpd.log" 2>&1 &
	CE_PID[$name]=$!
	t_wait 10 "$name's API" gobgp_q "$name" global
	if [ $send = 1 ]; then
		for p in ${CE_R4KEEP[$name]} ${CE_R4GONE[$name]}; do
			gobgp_q "$name" global rib add "$p" community "$as:100" \
				-a ipv4 || bgp_fail "$name: cannot add $p"
		done
		if [ $v6 = 1 ]; then
			for p in ${CE_R6KEEP[$name]} ${CE_R6GONE[$name]}; do
				gobgp_q "$name" global rib add "$p" \
					community "$as:100" -a ipv6 ||
					bgp_fail "$name: cannot add $p"
			done
		fi
	fi
}

gobgp_q()
{
	gobgp --target "${CE_API[$1]}" "${@:2}"
}

gobgp_withdraw()
{
	local name=$1 p
	for p in ${CE_R4GONE[$name]}; do
		gobgp_q "$name" global rib del "$p" -a ipv4 || return 1
	done
	for p in ${CE_R6GONE[$name]}; do
		gobgp_q "$name" global rib del "$p" -a ipv6 || return 1
	done
}

# ---- OpenBGPD --------------------------------------------------------------

# obgpd_start NAME NODE [send] [v6]: OpenBGPD (fib-update no: the kernel's
# table is left alone), its control socket in its directory.  The routes
# to keep are network statements; the ones to withdraw are added with
# bgpctl network add.
obgpd_start()
{
	local name=$1 node=$2 opt send=0 v6=0
	shift 2
	for opt in "$@"; do
		case $opt in
		send) send=1 ;;
		v6) v6=1 ;;
		esac
	done
	local d=${CE_DIR[$name]} a=${CE_ADDR[$name]} as=${CE_AS[$name]}
	local hub=127.0.$T_NET.$node p
	{
		echo "AS $as"
		echo "router-id $a"
		echo "listen on $a port ${CE_PORT[$name]}"
		echo "socket \"$d/bgpd.sock\""
		echo "fib-update no"
		if [ $send = 1 ]; then
			for p in ${CE_R4KEEP[$name]}; do
				echo "network $p set community $as:100"
			done
			if [ $v6 = 1 ]; then
				for p in ${CE_R6KEEP[$name]}; do
					echo "network $p set community $as:100"
				done
			fi
		fi
		echo "neighbor $hub {"
		echo "  remote-as $HUB_AS"
		echo "  local-address $a"
		echo "  port ${T_BGP[$node]}"
		echo "  multihop 2"
		echo "  holdtime 9"
		echo "  announce IPv4 unicast"
		[ $v6 = 1 ] && echo "  announce IPv6 unicast"
		echo "}"
		echo "allow from any"
		if [ $send = 1 ]; then
			echo "allow to any"
		else
			echo "deny to any"
		fi
	} >"$d/bgpd.conf"
	chmod 600 "$d/bgpd.conf"
	# the privilege-separated processes chroot to the _openbgpd user's
	# home, which systemd would create
	mkdir -p /run/openbgpd
	/usr/sbin/bgpd -d -f "$d/bgpd.conf" >>"$d/bgpd.log" 2>&1 &
	CE_PID[$name]=$!
	t_wait 10 "$name's control socket" bgpctl_q "$name" show summary
	if [ $send = 1 ]; then
		for p in ${CE_R4GONE[$name]}; do
			bgpctl_q "$name" network add "$p" community "$as:100" ||
				bgp_fail "$name: cannot add $p"
		done
		if [ $v6 = 1 ]; then
			for p in ${CE_R6GONE[$name]}; do
				bgpctl_q "$name" network add "$p" \
					community "$as:100" ||
					bgp_fail "$name: cannot add $p"
			done
		fi
	fi
}

bgpctl_q()
{
	bgpctl -s "${CE_DIR[$1]}/bgpd.sock" "${@:2}"
}

obgpd_withdraw()
{
	local name=$1 p
	for p in ${CE_R4GONE[$name]} ${CE_R6GONE[$name]}; do
		bgpctl_q "$name" network delete "$p" || return 1
	done
}

# ---- ExaBGP ----------------------------------------------------------------

# exabgp_start NAME NODE [send] [v6]: ExaBGP with its routes as static
# routes; the ones to withdraw go through its API: a process follows the
# file cmds in its directory, and exabgp_withdraw appends to it.
exabgp_start()
{
	local name=$1 node=$2 opt send=0 v6=0
	shift 2
	for opt in "$@"; do
		case $opt in
		send) send=1 ;;
		v6) v6=1 ;;
		esac
	done
	local d=${CE_DIR[$name]} a=${CE_ADDR[$name]} as=${CE_AS[$name]}
	local hub=127.0.$T_NET.$node p
	: >"$d/cmds"
	{
		# the API process: commands from the file cmds in, the
		# updates received (JSON, one a line) out to received.json
		echo "process api {"
		# (tail follows cat, which ends with ExaBGP)
		echo "  run /bin/sh -c 'tail -n +1 -F --pid=\$\$ $d/cmds 2>/dev/null & exec cat >$d/received.json';"
		echo "  encoder json;"
		echo "}"
		echo "neighbor $hub {"
		echo "  router-id $a;"
		echo "  local-address $a;"
		echo "  local-as $as;"
		echo "  peer-as $HUB_AS;"
		echo "  hold-time 9;"
		echo "  connect ${T_BGP[$node]};"
		echo "  family {"
		echo "    ipv4 unicast;"
		[ $v6 = 1 ] && echo "    ipv6 unicast;"
		echo "  }"
		echo "  api { processes [ api ]; receive { parsed; update; } }"
		if [ $send = 1 ]; then
			echo "  static {"
			for p in ${CE_R4KEEP[$name]} ${CE_R4GONE[$name]}; do
				echo "    route $p next-hop self community $as:100;"
			done
			if [ $v6 = 1 ]; then
				for p in ${CE_R6KEEP[$name]} ${CE_R6GONE[$name]}; do
					echo "    route $p next-hop ::ffff:$a community $as:100;"
				done
			fi
			echo "  }"
		fi
		echo "}"
	} >"$d/exabgp.conf"
	env exabgp_daemon_user=root exabgp_daemon_drop=false \
		exabgp_api_cli=false exabgp_api_ack=false \
		exabgp_tcp_bind="$a" exabgp_tcp_port="${CE_PORT[$name]}" \
		exabgp_log_destination=stdout exabgp_log_level=INFO \
		/usr/sbin/exabgp "$d/exabgp.conf" >>"$d/exabgp.log" 2>&1 &
	CE_PID[$name]=$!
}

exabgp_withdraw()
{
	local name=$1 p
	for p in ${CE_R4GONE[$name]}; do
		echo "withdraw route $p next-hop self" >>"${CE_DIR[$name]}/cmds"
	done
	for p in ${CE_R6GONE[$name]}; do
		echo "withdraw route $p next-hop ::ffff:${CE_ADDR[$name]}" \
			>>"${CE_DIR[$name]}/cmds"
	done
}

# ---- any kind --------------------------------------------------------------

# The function prefix of each kind.
declare -A CE_FN=([bird]=bird [frr]=frr [gobgp]=gobgp [openbgpd]=obgpd
	[exabgp]=exabgp)

# ce_start NAME NODE [send] [v6]
ce_start()
{
	"${CE_FN[${CE_KIND[$1]}]}_start" "$@"
}

ce_withdraw()
{
	"${CE_FN[${CE_KIND[$1]}]}_withdraw" "$1"
}

# ce_rib NAME SPEC...: checks router NAME's table against each SPEC
# (PREFIX, PREFIX|AS_PATH|COMMUNITY or !PREFIX, see ce_rib.py); prints the
# first that fails.  A router that does not answer fails every check.
ce_rib()
{
	local name=$1 kind=${CE_KIND[$1]} out
	shift
	if ! out=$(case $kind in
		bird) birdc_q "$name" show route all ;;
		frr) vtysh_q "$name" -c "show bgp ipv4 unicast json detail" \
			-c "show bgp ipv6 unicast json detail" ;;
		gobgp) gobgp_q "$name" global rib -a ipv4 -j &&
			gobgp_q "$name" global rib -a ipv6 -j ;;
		openbgpd) bgpctl_q "$name" -j show rib detail ;;
		exabgp) cat "${CE_DIR[$name]}/received.json" ;;
		esac 2>/dev/null); then
		echo "$name does not answer"
		return 1
	fi
	python3 "$CEND_SOURCE_DIR/tests/integration/lib/ce_rib.py" "$kind" "$@" <<<"$out"
}

# node_rib ID SPEC...: the same for `cenctl route list` on node ID.
node_rib()
{
	local id=$1 out
	shift
	# (cenctl prints "[]" even when the call fails: look at its status)
	if ! out=$(t_ctl "$id" -w json route list 2>/dev/null); then
		echo "node $id: cenctl route list failed"
		return 1
	fi
	python3 "$CEND_SOURCE_DIR/tests/integration/lib/ce_rib.py" cend "$@" <<<"$out"
}

# bgp_wait SECS WHAT CHECK ARGS...: polls CHECK until it succeeds; on
# timeout fails with what CHECK printed last (the spec that did not hold).
bgp_wait()
{
	local secs=$1 what=$2 out
	shift 2
	local deadline=$((SECONDS + secs))
	while ! out=$("$@" 2>&1); do
		if [ $SECONDS -ge $deadline ]; then
			bgp_fail "timed out after ${secs}s waiting for $what: $out"
		fi
		sleep 0.2
	done
}

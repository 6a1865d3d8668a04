#!/bin/bash
# cluster_badinput.sh - a running 3-node cluster against bad input: raw
# frames from python sockets (garbage, an oversized length, an empty
# envelope, an unknown method, a truncated Admin/Apply payload, a request
# cut off mid-frame) and invalid model values through cenctl (a VLAN out of
# 1..2999 and a route map priority over 100 in `apply -f`, `attachment
# create --vlan 9999`, with and without -f).  Framing errors close only the
# offending connection; answerable errors get the status rpc.h promises with
# a message; after each, every node still answers `endpoint status`, a
# client connected beforehand is still served, and the state hash never
# changes (nor the applied index: nothing bad reaches the log).
set -euo pipefail
# shellcheck source=tests/integration/lib/cluster.bash
. "$(dirname "$0")/lib/cluster.bash"
topo=$CEND_SOURCE_DIR/examples/hybrid.yaml

for i in 1 2 3; do t_node_init $i; done
list=$(t_cluster_list 3)
for i in 1 2 3; do t_node_start $i --initial-cluster "$list"; done
t_wait 20 "a leader" t_has_leader 1 2 3
# right after an election a follower may not know the leader's API address
# yet ("no leader is known yet; retry"): apply (idempotent) until it takes
t_wait 20 "the topology to apply through node 1" t_ctl 1 apply -f "$topo"
t_wait 15 "every node to converge after apply" t_converged 1 2 3
hash=$(t_status_field 1 state_hash)
index=$(t_status_field 1 applied_index)

# raw.py HOST:PORT CASE: opens a bystander connection first, sends CASE on a
# second connection and checks the outcome, then checks that the bystander
# is still served (an Admin/Status call) and prints what happened.
cat >"$T_WORK/raw.py" <<'PY'
import os, socket, struct, sys, time

host, port = sys.argv[1].rsplit(":", 1)
port = int(port)
case = sys.argv[2]
DEADLINE = 10.0

def varint(v):
    out = bytearray()
    while True:
        b = v & 0x7F
        v >>= 7
        if v:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)

def field(num, wt, val):
    key = varint(num << 3 | wt)
    if wt == 0:
        return key + varint(val)
    return key + varint(len(val)) + val

def envelope(call_id, method, payload=b""):
    b = field(1, 0, call_id)
    if method is not None:
        b += field(2, 2, method.encode())
    if payload:
        b += field(5, 2, payload)
    return b

def frame(body):
    return struct.pack(">I", len(body)) + body

def parse(body):
    """Envelope fields: {num: value} (varints as int, others as bytes)."""
    out, i = {}, 0
    while i < len(body):
        key, i = read_varint(body, i)
        num, wt = key >> 3, key & 7
        if wt == 0:
            val, i = read_varint(body, i)
        elif wt == 2:
            n, i = read_varint(body, i)
            val, i = body[i:i + n], i + n
        else:
            raise ValueError("unexpected wire type %d" % wt)
        out[num] = val
    return out

def read_varint(b, i):
    v = shift = 0
    while True:
        c = b[i]
        i += 1
        v |= (c & 0x7F) << shift
        shift += 7
        if not c & 0x80:
            return v, i

def connect():
    s = socket.create_connection((host, port), timeout=DEADLINE)
    s.settimeout(DEADLINE)
    return s

def recv_exact(s, n):
    buf = b""
    while len(buf) < n:
        chunk = s.recv(n - len(buf))
        if not chunk:
            return None
        buf += chunk
    return buf

def answer(s):
    hdr = recv_exact(s, 4)
    if hdr is None:
        return None
    (n,) = struct.unpack(">I", hdr)
    body = recv_exact(s, n)
    if body is None:
        return None
    return parse(body)

def closed(s):
    """True once the server closes the connection (EOF or reset) within
    the deadline, having sent nothing."""
    end = time.monotonic() + DEADLINE
    while time.monotonic() < end:
        try:
            data = s.recv(4096)
        except ConnectionResetError:
            return True
        except socket.timeout:
            return False
        if not data:
            return True
        print("unexpected bytes before close: %r" % data[:64])
        return False
    return False

def fail(msg):
    print("FAIL %s: %s" % (case, msg))
    sys.exit(1)

def status_call(s, call_id):
    s.sendall(frame(envelope(call_id, "cend.v1.Admin/Status")))
    a = answer(s)
    if a is None:
        fail("bystander: connection closed instead of a Status answer")
    if a.get(1) != call_id or a.get(3, 0) != 0 or 5 not in a:
        fail("bystander: bad Status answer %r" % a)

bystander = connect()
status_call(bystander, 1)
s = connect()
if case == "garbage":
    s.sendall(frame(b"\xff" * 64))
    closed(s) or fail("a garbage frame did not close the connection")
elif case == "oversized":
    s.sendall(struct.pack(">I", 0x7FFFFFFF) + b"\x08\x01" * 512)
    closed(s) or fail("a 2 GiB frame length did not close the connection")
elif case == "empty":
    # an envelope without a method: a framing error, not answerable
    s.sendall(frame(envelope(7, None)))
    closed(s) or fail("a request without a method was not closed")
elif case == "partial":
    # half a frame, then the client goes away: nothing to answer
    s.sendall(struct.pack(">I", 100) + b"\x08")
    s.close()
    s = connect()
    status_call(s, 3)
elif case == "unknown":
    s.sendall(frame(envelope(42, "cend.v1.Admin/NoSuchMethod")))
    a = answer(s)
    if a is None:
        fail("no answer to an unknown method")
    if a.get(1) != 42 or a.get(3) != 5:
        fail("expected call 42 STATUS_UNIMPLEMENTED (5), got %r" % a)
    if not a.get(4):
        fail("STATUS_UNIMPLEMENTED without a message")
    if a.get(6) != 1:
        fail("the final answer lacks end_of_stream")
    print("unknown method: %s" % a[4].decode())
    # the connection stays usable
    status_call(s, 43)
elif case == "hold":
    # a client that stays connected while cenctl sends bad input; served
    # again once the file named by argv[3] appears
    s.close()
    end = time.monotonic() + 60
    while not os.path.exists(sys.argv[3]):
        if time.monotonic() > end:
            fail("nobody told the bystander to finish")
        time.sleep(0.05)
elif case == "truncated":
    # ApplyRequest.yaml (field 1) says 200 bytes, 5 follow
    s.sendall(frame(envelope(9, "cend.v1.Admin/Apply", b"\x0a\xc8\x01kind:")))
    a = answer(s)
    if a is None:
        fail("no answer to a truncated Apply payload")
    if a.get(1) != 9 or a.get(3) != 1:
        fail("expected call 9 STATUS_INVALID_ARGUMENT (1), got %r" % a)
    if b"ApplyRequest" not in a.get(4, b""):
        fail("STATUS_INVALID_ARGUMENT without a message naming "
             "ApplyRequest: %r" % a.get(4))
    print("truncated Apply: %s" % a[4].decode())
    status_call(s, 10)
else:
    fail("unknown case")
status_call(bystander, 2)
print("%s: ok" % case)
PY

# Every node answers endpoint status and the state is what it was.
unchanged()
{
	local i
	for i in 1 2 3; do
		t_ctl "$i" endpoint status >/dev/null ||
			t_fail "node $i does not answer endpoint status after $1"
	done
	[ "$(t_status_field 1 state_hash)" = "$hash" ] ||
		t_fail "the state hash changed after $1"
}

# --- raw frames, to the leader and to a follower ---------------------------
leader=$(t_leader 1 2 3)
follower=$((leader % 3 + 1))
for id in "$leader" "$follower"; do
	for c in garbage oversized empty partial unknown truncated; do
		python3 "$T_WORK/raw.py" "${T_API[$id]}" "$c" >"$T_WORK/raw.out" 2>&1 ||
			t_fail "node $id, $c: $(cat "$T_WORK/raw.out")"
		sed "s/^/node $id: /" "$T_WORK/raw.out"
		unchanged "$c on node $id"
	done
done

# --- invalid model values through cenctl ----------------------------------
# bystanders on the leader and the follower, connected throughout
done_file=$T_WORK/bystanders-done
bystanders=()
for id in "$leader" "$follower"; do
	python3 "$T_WORK/raw.py" "${T_API[$id]}" hold "$done_file" \
		>"$T_WORK/hold$id.out" 2>&1 &
	bystanders+=($!)
done
sed -e 's/vlan: 101/vlan: 5000/' -e 's/priority: 20/priority: 120/' "$topo" >"$T_WORK/bad.yaml"
vlan_line=$(grep -n 'vlan: 5000' "$T_WORK/bad.yaml" | head -1 | cut -d: -f1)
prio_line=$(grep -n 'priority: 120' "$T_WORK/bad.yaml" | head -1 | cut -d: -f1)
# err_line_near ERRFILE PATTERN LINE: ERRFILE has "line N: ...PATTERN" where
# N is LINE or the line of the object holding it (model.h: errors carry the
# object's line), a few lines above.
err_line_near()
{
	local n
	n=$(grep -E "line [0-9]+:.*$2" "$1" | head -1 | sed -E 's/.*line ([0-9]+):.*/\1/')
	[ -n "$n" ] || t_fail "no 'line N: ... $2' error: $(cat "$1")"
	[ "$n" -le "$3" ] && [ "$n" -ge $(($3 - 12)) ] ||
		t_fail "the error for line $3 names line $n: $(cat "$1")"
}
for id in "$leader" "$follower"; do
	if t_ctl "$id" apply -f "$T_WORK/bad.yaml" 2>"$T_WORK/bad.err"; then
		t_fail "node $id applied a VLAN of 5000"
	fi
	err_line_near "$T_WORK/bad.err" "vlan 5000.*1\.\.2999" "$vlan_line"
	err_line_near "$T_WORK/bad.err" "priority.*1\.\.100" "$prio_line"
	unchanged "a bad apply through node $id"
done
echo "apply of bad.yaml refused: $(tr '\n' ' ' <"$T_WORK/bad.err")"

rc=0
t_ctl "$follower" attachment create vbr-bad --type VBR --region cn-hangzhou \
	--physical-connection pc-hz-1 --vlan 9999 2>"$T_WORK/att.err" || rc=$?
[ $rc -ne 0 ] || t_fail "attachment create --vlan 9999 succeeded"
grep -q "1\.\.2999" "$T_WORK/att.err" ||
	t_fail "--vlan 9999 refused without naming 1..2999: $(cat "$T_WORK/att.err")"
echo "attachment create --vlan 9999 refused (exit $rc): $(cat "$T_WORK/att.err")"
unchanged "attachment create --vlan 9999"
# the same object as a file goes to the server, which checks it too
cat >"$T_WORK/att.yaml" <<'Y'
attachments:
  - id: vbr-bad
    type: VBR
    region: cn-hangzhou
    physical_connection: pc-hz-1
    vlan: 9999
    bandwidth_mbps: 100
    local_ip: 10.10.99.1/30
    peer_ip: 10.10.99.2
Y
if t_ctl "$follower" attachment create -f "$T_WORK/att.yaml" 2>"$T_WORK/attf.err"; then
	t_fail "attachment create -f with vlan 9999 succeeded"
fi
err_line_near "$T_WORK/attf.err" "vlan 9999.*1\.\.2999" 6
echo "attachment create -f (vlan 9999) refused: $(cat "$T_WORK/attf.err")"
unchanged "attachment create -f with vlan 9999"
if t_ctl 1 attachment show vbr-bad >/dev/null 2>&1; then
	t_fail "vbr-bad exists"
fi

touch "$done_file"
for p in "${bystanders[@]}"; do
	wait "$p" || t_fail "a bystander was not served: $(cat "$T_WORK"/hold*.out)"
done
echo "bystanders connected during the bad writes were served"

# nothing was written: every node is still at the same index and hash
t_wait 10 "every node to agree" t_converged 1 2 3
[ "$(t_status_field 1 applied_index)" = "$index" ] ||
	t_fail "the applied index moved from $index to $(t_status_field 1 applied_index)"
for i in 1 2 3; do
	kill -0 "${T_PID[$i]}" 2>/dev/null || t_fail "node $i exited"
	if grep -iE 'sanitizer|abort|assert|segv' "$T_WORK/node$i.log"; then
		t_fail "node $i's log shows a crash"
	fi
done
echo "integration/cluster_badinput: ok"

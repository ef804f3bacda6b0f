#!/bin/sh
# The per-client limits hold per client address across all engines, not
# per engine (src/clientshm.c).  With `engines 4` the kernel spreads one
# client's TCP connections, and its UDP datagrams by source port, over
# the four engines, each of which used to allow the whole limit: one
# address opening many connections, sending from many source ports to
# a slow upstream, or over its rate, gets the limit once, in total.
# Then the share of an engine killed while its clients held connections
# is given back, and a reload keeps the counts.
. "$(dirname "$0")/../lib.sh"
BASE=$((27300 + ${E2E_PORT_SHIFT:-0}))
P=$BASE UP=$((BASE + 1)) UPS=$((BASE + 2)) PQ=$((BASE + 3))
PR=$((BASE + 4))

# spread MODE PORT ARGS...: a client on 127.0.0.1 using many source
# ports at once (each its own socket, so the kernel's SO_REUSEPORT hash
# sends them to different engines).
#   spread inflight PORT SOCKETS PER SPLIT: SOCKETS x PER distinct
#     queries at once; answers before SPLIT s are "early", later "late"
#   spread rate PORT SOCKETS N SECONDS: N queries spread evenly over
#     SECONDS; how many were answered (over the rate nothing comes back)
#   spread hold PORT N SECONDS: N TCP connections, each answered once,
#     then held open for SECONDS
# Only in a subshell ($(...) or &): python takes its place, so that the
# pid of a background one is python's.
spread()
{
	exec python3 - "$@" <<'EOF'
import os, select, socket, struct, sys, time
sys.path.insert(0, os.path.join(os.environ["TOP"], "regress"))
from rawdns import query, tcp_conn, ask_tcp

mode, port = sys.argv[1], int(sys.argv[2])


def socks(n):
    out = []
    for _ in range(n):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
        s.bind(("127.0.0.1", 0))
        s.setblocking(False)
        out.append(s)
    return out


def collect(ss, end, seen, t0, split, stats):
    while time.monotonic() < end:
        r, _, _ = select.select(ss, [], [], max(0.0, end - time.monotonic()))
        if not r:
            break
        for s in r:
            try:
                m = s.recv(65535)
            except BlockingIOError:
                continue
            qid = struct.unpack("!H", m[:2])[0]
            if qid in seen:
                continue
            seen.add(qid)
            k = "late" if split and time.monotonic() - t0 >= split else "early"
            stats[k] = stats.get(k, 0) + 1
            rc = "rcode%d" % (m[3] & 0xf)
            stats[rc] = stats.get(rc, 0) + 1


if mode == "inflight":
    n, per, split = int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5])
    ss, seen, stats = socks(n), set(), {}
    t0 = time.monotonic()
    for i in range(per):
        for j, s in enumerate(ss):
            qid = j * per + i
            s.sendto(query("cl-%d-%d.test" % (j, i), qid=qid),
                     ("127.0.0.1", port))
    collect(ss, t0 + split * 3, seen, t0, split, stats)
    print("early=%d late=%d noreply=%d" % (stats.get("early", 0),
          stats.get("late", 0), n * per - len(seen)))
elif mode == "rate":
    n, total, secs = int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5])
    ss, seen, stats = socks(n), set(), {}
    t0 = time.monotonic()
    for i in range(total):
        till = t0 + secs * i / total
        collect(ss, till, seen, t0, 0, stats)
        ss[i % n].sendto(query("rl-%d.test" % i, qid=i), ("127.0.0.1", port))
    collect(ss, time.monotonic() + 1.0, seen, t0, 0, stats)
    print("answered=%d of %d" % (len(seen), total))
elif mode == "hold":
    n, secs = int(sys.argv[3]), float(sys.argv[4])
    res, keep = [], []
    for i in range(n):
        s = tcp_conn(port, "127.0.0.1")
        keep.append(s)
        res.append(ask_tcp(s, i, 1.5))
    print("answered=%d closed=%d" % (res.count("answered"),
          res.count("closed")), flush=True)
    time.sleep(secs)
EOF
}

# hold FILE: 3 connections to $P held open by a client in the background
# (its pid in hp), what they were answered in FILE
hold()
{
	spread hold $P 3 60 >"$1" &
	hp=$!
	PIDS="$PIDS $hp"
	waitfor 5 grep -q answered "$1"
}

dotserver up $UP || notok "dotserver starts"
# every answer 3 s late: past any deadline below
dotserver slow $UPS -d 3000 || notok "slow dotserver starts"

# --- (a) TCP connections of one address, over four engines -----------------
conf "$W/t.conf" $P $UP "engines 4" "tcp-max-connections-per-client 3"
check "dotproxy starts with 4 engines and tcp-max-connections-per-client 3" \
    proxy dt "$W/t.conf"
check "it has 4 engines" waitfor 10 nengines "$(proxypid dt)" 4
out=$(pyclient conns $P 24 127.0.0.1)
check "tcp-max-connections-per-client 3 over 4 engines: 3 of 24 connections from one address served, not up to 12 ($out)" \
    sh -c 'echo "$1" | grep -q "^answered=3 closed=21 noreply=0"' - "$out"
out=$(pyclient conns $P 3 127.0.0.1)
check "the address's count went back in every engine when they closed ($out)" \
    sh -c 'echo "$1" | grep -q "^answered=3 closed=0"' - "$out"

# An engine killed while its clients hold connections: the parent gives
# its share back when it reaps it (the kernel closes the connections),
# so the address is not held at its limit by connections that are gone.
hold "$W/hold.out"
out=$(cat "$W/hold.out")
check "3 connections held open ($out)" \
    sh -c 'echo "$1" | grep -q "^answered=3"' - "$out"
out=$(pyclient conns $P 2 127.0.0.1)
check "while they are held, the address gets no more ($out)" \
    sh -c 'echo "$1" | grep -q "^answered=0 closed=2"' - "$out"
for e in $(engines "$(proxypid dt)"); do
	kill -9 "$e"
done
kill "$hp" 2>/dev/null
back()
{
	[ "$(engines "$(proxypid dt)" | wc -l)" -eq 4 ] &&
	    [ "$(grep -c 'engine ready' "$W/dt.err")" -ge 8 ]
}
check "the 4 engines killed are started again" waitfor 10 back
out=$(pyclient conns $P 4 127.0.0.1)
check "the dead engines' connections were given back: 3 served again ($out)" \
    sh -c 'echo "$1" | grep -q "^answered=3 closed=1"' - "$out"

# A reload: the new engines count into the same table beside the old.
hold "$W/hold2.out"
kill -HUP "$(proxypid dt)"
reloaded()
{
	[ "$(grep -c 'engine ready' "$W/dt.err")" -ge 12 ]
}
check "reload: 4 new engines" waitfor 10 reloaded
sleep 2
out=$(pyclient conns $P 2 127.0.0.1)
check "after a reload the 3 connections held still count: no more served ($out)" \
    sh -c 'echo "$1" | grep -q "^answered=0 closed=2"' - "$out"
kill "$hp" 2>/dev/null
sleep 1
out=$(pyclient conns $P 4 127.0.0.1)
check "and once they close, 3 again ($out)" \
    sh -c 'echo "$1" | grep -q "^answered=3 closed=1"' - "$out"

# --- (b) UDP queries in flight from many source ports ----------------------
# Every answer is 3 s late and query-timeout is 1 s: a query that took a
# slot gets SERVFAIL at its deadline, one over the limit at once.
conf "$W/q.conf" $PQ $UPS "engines 4" "query-timeout 1" \
    "max-queries-per-client 20"
check "dotproxy starts with 4 engines and max-queries-per-client 20" \
    proxy dq "$W/q.conf"
out=$(spread inflight $PQ 40 25 0.6)
late=$(echo "$out" | sed -n 's/.* late=\([0-9]*\).*/\1/p')
early=$(echo "$out" | sed -n 's/^early=\([0-9]*\).*/\1/p')
check "max-queries-per-client 20 over 4 engines: of 1000 queries from 40 source ports at most 20 waited for the deadline, not up to 80 ($out)" \
    [ "${late:-99}" -le 20 -a "${late:-0}" -ge 15 -a "${early:-0}" -ge 980 ]
sleep 0.5
# a copy lost with its connection is sent again: count distinct names
n=$(sed -n 's/^query .* name=\([^ ]*\) .*/\1/p' "$W/slow.log" | sort -u |
    wc -l)
check "the upstream saw no more than the 20 questions that took a slot ($n)" \
    [ "$n" -le 20 ]

# --- (c) rate-limit from many source ports ---------------------------------
# 20 a second with a burst of 20, for 3 s: about 20 + 3 * 20 = 80 pass in
# total, where each of 4 engines used to pass that many.
conf "$W/r.conf" $PR $UP "engines 4" "rate-limit 20" "rate-limit-burst 20" \
    "rate-limit-action drop"
check "dotproxy starts with 4 engines and rate-limit 20" proxy dr "$W/r.conf"
out=$(spread rate $PR 40 1200 3)
n=$(echo "$out" | sed -n 's/^answered=\([0-9]*\).*/\1/p')
check "rate-limit 20, burst 20 over 4 engines: 3 s from 40 source ports pass about 80 in total, not up to 320 ($out)" \
    [ "${n:-999}" -ge 60 -a "${n:-999}" -le 100 ]

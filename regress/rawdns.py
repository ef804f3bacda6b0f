#!/usr/bin/env python3
# Raw DNS client for the end-to-end tests: sends the malformed messages dig
# and kdig refuse to build, and pipelines queries on one TCP connection to
# show the order replies come back in.
#
#   rawdns.py udp PORT CASE [ADDR]   one datagram; prints the reply summary
#   rawdns.py tcp PORT CASE [ADDR]   one framed message; summary or "closed"
#   rawdns.py batch PORT udp|tcp CASE...
#                                    each CASE in turn as the udp or tcp mode
#                                    would send it, with a random ID; prints
#                                    "CASE sent=ID SUMMARY" for each
#   rawdns.py pipeline PORT NAME...  all queries in one write on one TCP
#                                    connection; one summary line per reply,
#                                    in arrival order
#   rawdns.py seq PORT PREFIX N      N sequential UDP queries; the tally
#                                    of rcodes and the slowest answer
#   rawdns.py repeat PORT NAME N     N sequential UDP queries for NAME (A),
#                                    each from a fresh socket (a new source
#                                    port); the tally, like seq
#   rawdns.py ask PORT NAME ID [TYPE]
#                                    one UDP query for NAME (type number
#                                    TYPE, default 1) with the given ID;
#                                    prints the reply summary
#   rawdns.py together PORT SPEC...  one query per SPEC, each on its own
#                                    socket with its own random ID: the first
#                                    at once, the rest together 0.2 s later;
#                                    prints "SPEC sent=ID SUMMARY ar=N match" (or
#                                    "mismatch" when the reply's ID or
#                                    spelling of the name is not the query's)
#                                    in SPEC order, "SPEC left" for a TCP
#                                    query whose client went away.  SPEC is
#                                    udp|tcp:NAME[:do][:cd][:edns=SIZE]
#                                    [:type=N][:close]; do implies EDNS
#                                    (1232); close (TCP) closes the
#                                    connection right after sending
#   rawdns.py idle PORT SECONDS      opens TCP, sends nothing; prints how long
#                                    until the server closed it
#   rawdns.py partial PORT SECONDS   opens TCP, sends a length prefix and only
#                                    part of the message, then nothing; prints
#                                    like idle
#   rawdns.py trickle PORT GAP MAX   opens TCP and sends one byte of a query
#                                    every GAP seconds, never a whole one;
#                                    prints like idle, within MAX seconds
#   rawdns.py handover PORT N GO MAX
#                                    N TCP connections, one query on each,
#                                    then idle until file GO exists (MAX
#                                    seconds at most), then one more on each:
#                                    "first answered=N", then what the second
#                                    got (answered, closed, noreply)
#   rawdns.py steady PORT GAP MAX    one TCP connection, one query every GAP
#                                    seconds, each answer read; "closed after
#                                    T answered=N", or "open" after MAX
#   rawdns.py conns PORT N ADDR [ADDR2]
#                                    N TCP connections to ADDR, one after the
#                                    other and all kept open, one query on
#                                    each (1.5 s to answer); then one from
#                                    ADDR2; then the first is closed and the
#                                    unanswered wait 3 s more. Prints
#                                    "answered=A closed=C noreply=R late=L
#                                    other=RESULT"
#   rawdns.py deadline PORT N PREFIX SPLIT
#                                    N distinct UDP queries PREFIX-i.test
#                                    from one socket, paced, then replies
#                                    for SPLIT * 3 seconds; prints the
#                                    rcodes of those before and after
#                                    SPLIT seconds: "early=N late=N
#                                    noreply=N rcodes=..."
#   rawdns.py waves PORT N NAME...   the NAMEs pipelined on one TCP
#                                    connection; prints how many replies
#                                    came after about 1, 2... seconds
#                                    (rounded): "1s=N 2s=N...", seconds
#                                    with no reply left out
#   rawdns.py hammer PORT SECONDS    opens TCP connections one after the
#                                    other for SECONDS, keeping them open;
#                                    prints "opened=N"
#   rawdns.py flood PORT N NAME RCVBUF
#                                    N pipelined queries for NAME (NAME % i
#                                    for the i-th when it holds %d) on one TCP
#                                    connection with a receive buffer of
#                                    RCVBUF octets, never read; prints
#                                    "sent=Q dropped after T" when the
#                                    server cut it off, "sent=Q open"
#                                    when it did not within 20 s
#
#   rawdns.py burst PORT N PREFIX [ADDR]
#                                    N UDP queries PREFIX-i.example.test
#                                    sent at once from one socket, then
#                                    replies read until 1.5 s pass quietly;
#                                    prints "answered=N tc=N other=N
#                                    noreply=N big=N", where tc counts empty
#                                    TC=1 replies and big counts replies
#                                    other than answers that are larger
#                                    than their query; RAWDNS_SRC=ADDR
#                                    sends from ADDR
#
# RAWDNS_ID=N in the environment replaces the ID of the CASE sent by the
# udp and tcp modes (cases shorter than two bytes are left alone).
#
# A summary is "id=N rcode=N tc=N qd=N an=N name=NAME len=N", or "noreply";
# the batch mode adds "qlen=N", the length of the query sent.

import os
import random
import socket
import struct
import sys
import time


def name_wire(name):
    out = b""
    for label in name.rstrip(".").split("."):
        if label:
            out += bytes([len(label)]) + label.encode()
    return out + b"\x00"


def query(name, qtype=1, qid=0x1234, flags=0x0100, qd=1, an=0,
          opt=None, extra=b"", options=b"", owner=b"\x00"):
    ar = 1 if opt is not None else 0
    h = struct.pack("!HHHHHH", qid, flags, qd, an, 0, ar)
    body = name_wire(name) + struct.pack("!HH", qtype, 1) + extra
    if opt is not None:
        ver, size = opt
        # root owner, type OPT, class = UDP size, TTL = ext rcode/version/DO
        body += owner + struct.pack("!HHBBHH", 41, size, 0, ver, 0,
                                    len(options)) + options
    return h + body


def option(code, data):
    return struct.pack("!HH", code, len(data)) + data


# an A record for the question's name (a pointer to offset 12)
RR_A = b"\xc0\x0c" + struct.pack("!HHIH", 1, 1, 300, 4) + bytes([192, 0, 2, 9])
# an empty OPT owned by the root: version 0, 1232 octets
OPT0 = b"\x00" + struct.pack("!HHBBHH", 41, 1232, 0, 0, 0, 0)

CASES = {
    "good": lambda: query("www.example.test"),
    # QR=1: a response; must be dropped, never answered
    "qr": lambda: query("www.example.test", flags=0x8100),
    # shorter than a header: dropped
    "short": lambda: b"\x12\x34\x01\x00\x00",
    # two questions: FORMERR
    "qd2": lambda: query("www.example.test", qd=2) +
    name_wire("b.example.test") + struct.pack("!HH", 1, 1),
    # zero questions: FORMERR
    "qd0": lambda: struct.pack("!HHHHHH", 0x1234, 0x0100, 0, 0, 0, 0),
    # a compression pointer in the question: FORMERR
    "ptr": lambda: struct.pack("!HHHHHH", 0x1234, 0x0100, 1, 0, 0, 0) +
    b"\x03www\xc0\x0c" + struct.pack("!HH", 1, 1),
    # a label running past the end: FORMERR
    "trunc": lambda: struct.pack("!HHHHHH", 0x1234, 0x0100, 1, 0, 0, 0) +
    b"\x07exam",
    # an answer record in a query: FORMERR
    "an": lambda: query("www.example.test", an=1),
    # opcode 2 (STATUS): NOTIMP
    "opcode": lambda: query("www.example.test", flags=(2 << 11) | 0x0100),
    # EDNS version 1: BADVERS
    "badvers": lambda: query("www.example.test", opt=(1, 1232)),
    # trailing garbage after the question: FORMERR
    "trailing": lambda: query("www.example.test", extra=b"\xde\xad"),
    # nothing at all: dropped (UDP), a zero-length frame closes (TCP)
    "empty": lambda: b"",
    # a well-formed answer / authority record in a query: FORMERR
    "anrr": lambda: query("www.example.test", an=1, extra=RR_A),
    "nsrr": lambda: struct.pack("!HHHHHH", 0x1234, 0x0100, 1, 0, 1, 0) +
    name_wire("www.example.test") + struct.pack("!HH", 1, 1) + RR_A,
    # two OPT records: FORMERR
    "opt2": lambda: struct.pack("!HHHHHH", 0x1234, 0x0100, 1, 0, 0, 2) +
    name_wire("www.example.test") + struct.pack("!HH", 1, 1) + OPT0 + OPT0,
    # a 64-octet label (0x40 is a reserved label type): FORMERR
    "label64": lambda: query("a" * 64 + ".example.test"),
    # names of 255 octets (the limit, answered) and 256 (FORMERR)
    "name255": lambda: query(".".join(["a" * 63] * 3 + ["b" * 61])),
    "name256": lambda: query(".".join(["a" * 63] * 3 + ["b" * 62])),
    # an OPT owned by a name other than the root: FORMERR
    "optowner": lambda: query("www.example.test", opt=(0, 1232),
                              owner=name_wire("a")),
    # an option whose length runs past the OPT's rdata: FORMERR
    "optrun": lambda: query("www.example.test", opt=(0, 1232),
                            options=struct.pack("!HH", 65001, 10) + b"x" * 4),
    # a COOKIE of 5 octets (RFC 7873 allows 8 or 16-40): FORMERR
    "badcookie": lambda: query("www.example.test", opt=(0, 1232),
                               options=option(10, b"c" * 5)),
    # zone transfers: REFUSED; other meta-types: NOTIMP
    "axfr": lambda: query("example.test", qtype=252),
    "ixfr": lambda: query("example.test", qtype=251),
    "maila": lambda: query("example.test", qtype=254),
    "tkey": lambda: query("example.test", qtype=249),
    # a client cookie, keepalive and padding: forwarded without any of them
    "cookie": lambda: query("cookie.example.test", opt=(0, 1232),
                            options=option(10, b"k" * 8) + option(11, b"") +
                            option(12, b"\x00" * 20)),
    # an OPT carrying 1000 octets of an unknown option: a big query
    "bigopt": lambda: query("bigopt.example.test", opt=(0, 4096),
                            options=option(65001, b"z" * 1000)),
}


def build(case):
    m = CASES[case]()
    qid = os.environ.get("RAWDNS_ID")
    if qid and len(m) >= 2:
        m = struct.pack("!H", int(qid) & 0xffff) + m[2:]
    return m


def summary(msg):
    if len(msg) < 12:
        return "short len=%d" % len(msg)
    qid, flags, qd, an, ns, ar = struct.unpack("!HHHHHH", msg[:12])
    rcode = flags & 0xf
    # extended rcode from an OPT, for BADVERS (16)
    name = "-"
    off = 12
    if qd >= 1:
        labels = []
        while off < len(msg) and msg[off] != 0 and msg[off] < 64:
            ln = msg[off]
            labels.append(msg[off + 1:off + 1 + ln].decode(errors="replace"))
            off += 1 + ln
        name = ".".join(labels) or "."
        off += 5
    if ar and b"\x00\x00\x29" in msg[off:]:
        i = msg.index(b"\x00\x00\x29", off)
        if i + 6 <= len(msg):
            rcode |= msg[i + 5] << 4
    return "id=%d rcode=%d tc=%d qd=%d an=%d name=%s len=%d" % (
        qid, rcode, (flags >> 9) & 1, qd, an, name, len(msg))


def recvn(s, n):
    buf = b""
    while len(buf) < n:
        chunk = s.recv(n - len(buf))
        if not chunk:
            return None
        buf += chunk
    return buf


def tcp_conn(port, addr="127.0.0.1"):
    fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.settimeout(5)
    s.connect((addr, port))
    return s


def udp_one(port, addr, m):
    fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_DGRAM)
    s.settimeout(2)
    s.sendto(m, (addr, port))
    try:
        return summary(s.recv(65535))
    except socket.timeout:
        return "noreply"
    finally:
        s.close()


def tcp_one(port, addr, m):
    s = tcp_conn(port, addr)
    try:
        s.sendall(struct.pack("!H", len(m)) + m)
        hdr = recvn(s, 2)
        if hdr is None:
            return "closed"
        body = recvn(s, struct.unpack("!H", hdr)[0])
        return "closed" if body is None else summary(body)
    except socket.timeout:
        return "noreply"
    except (ConnectionResetError, BrokenPipeError):
        return "closed"
    finally:
        s.close()


def together_query(spec, qid):
    f = spec.split(":")
    opts = dict(o.split("=", 1) if "=" in o else (o, "") for o in f[2:])
    flags = 0x0100 | (0x0010 if "cd" in opts else 0)
    h = struct.pack("!HHHHHH", qid, flags, 1, 0, 0,
                    1 if ("edns" in opts or "do" in opts) else 0)
    m = h + name_wire(f[1]) + struct.pack("!HH", int(opts.get("type", 1)), 1)
    if "edns" in opts or "do" in opts:
        m += b"\x00" + struct.pack("!HHBBHH", 41, int(opts.get("edns", 1232)),
                                   0, 0, 0x8000 if "do" in opts else 0, 0)
    return f[0], f[1].rstrip("."), "close" in opts, m


def together(port, specs):
    import selectors
    sel = selectors.DefaultSelector()
    ids = random.sample(range(1, 65536), len(specs))
    socks, res, bufs, sent = [], {}, {}, []
    for i, spec in enumerate(specs):
        proto, name, close, m = together_query(spec, ids[i])
        if proto == "udp":
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.connect(("127.0.0.1", port))
        else:
            s = tcp_conn(port)
            m = struct.pack("!H", len(m)) + m
        socks.append(s)
        sent.append((proto, name, close, m))
    for i, s in enumerate(socks):
        proto, name, close, m = sent[i]
        s.sendall(m)
        if close:
            s.close()
            res[i] = "left"
        else:
            s.setblocking(False)
            sel.register(s, selectors.EVENT_READ, i)
            bufs[i] = b""
        if i == 0:
            time.sleep(0.2)
    end = time.monotonic() + 10
    while len(res) < len(specs) and time.monotonic() < end:
        for key, _ in sel.select(max(0.0, end - time.monotonic())):
            i = key.data
            proto, name = sent[i][0], sent[i][1]
            try:
                data = key.fileobj.recv(65535)
            except OSError:
                data = b""
            if proto == "udp":
                msg = data
            else:
                bufs[i] += data
                b = bufs[i]
                if data and (len(b) < 2 or
                             len(b) < 2 + struct.unpack("!H", b[:2])[0]):
                    continue
                msg = b[2:] if data else b""
            sel.unregister(key.fileobj)
            if not msg:
                res[i] = "closed"
                continue
            sm = summary(msg)
            good = msg[:2] == struct.pack("!H", ids[i]) and \
                (" name=%s " % name) in sm
            res[i] = "%s ar=%d %s" % (sm, struct.unpack("!H", msg[10:12])[0],
                                      "match" if good else "mismatch")
    for i, spec in enumerate(specs):
        print("%s sent=%d %s" % (spec, ids[i], res.get(i, "noreply")))
        socks[i].close()


def trickle(s, data, gap, end, t):
    for b in data:
        if time.monotonic() >= end:
            return "open"
        try:
            s.sendall(bytes([b]))
        except (ConnectionResetError, BrokenPipeError):
            return "closed after %.1f" % (time.monotonic() - t)
        s.settimeout(gap)
        try:
            if not s.recv(1):
                return "closed after %.1f" % (time.monotonic() - t)
            return "data"
        except socket.timeout:
            pass
        except ConnectionResetError:
            return "closed after %.1f" % (time.monotonic() - t)
    return "all sent"


def ask_tcp(s, qid, wait):
    """answered, closed or noreply for one query on s"""
    m = query("conn-%d.example.test" % qid, qid=qid)
    try:
        s.sendall(struct.pack("!H", len(m)) + m)
    except (ConnectionResetError, BrokenPipeError):
        return "closed"
    return read_tcp(s, wait)


def read_tcp(s, wait):
    s.settimeout(wait)
    try:
        hdr = recvn(s, 2)
        if hdr is None or recvn(s, struct.unpack("!H", hdr)[0]) is None:
            return "closed"
        return "answered"
    except socket.timeout:
        return "noreply"
    except (ConnectionResetError, BrokenPipeError):
        return "closed"


def conns(port, n, addr, addr2):
    socks, res = [], []
    for i in range(n):
        s = tcp_conn(port, addr)
        socks.append(s)
        res.append(ask_tcp(s, i, 1.5))
    other = ask_tcp(tcp_conn(port, addr2), 9999, 1.5) if addr2 else "-"
    late = 0
    if res.count("noreply") > 0:
        socks[0].close()
        late = sum(read_tcp(s, 3) == "answered"
                   for s, r in zip(socks, res) if r == "noreply")
    return "answered=%d closed=%d noreply=%d late=%d other=%s" % (
        res.count("answered"), res.count("closed"), res.count("noreply"),
        late, other)


def handover(port, n, go, limit):
    """n connections answered once, then idle until the file go exists
    (or limit seconds), then asked again: what each did the second time"""
    socks = [tcp_conn(port) for _ in range(n)]
    first = [ask_tcp(s, i, 3) for i, s in enumerate(socks)]
    print("first answered=%d" % first.count("answered"), flush=True)
    end = time.monotonic() + limit
    while not os.path.exists(go) and time.monotonic() < end:
        time.sleep(0.05)
    res = [ask_tcp(s, 1000 + i, 3) for i, s in enumerate(socks)]
    return "answered=%d closed=%d noreply=%d" % (
        res.count("answered"), res.count("closed"), res.count("noreply"))


def deadline(port, n, prefix, split):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 21)
    t = time.monotonic()
    for i in range(n):
        s.sendto(query("%s-%d.test" % (prefix, i), qid=i),
                 ("127.0.0.1", port))
        if i % 50 == 49:
            time.sleep(0.005)
    early, late, rcodes, seen = 0, 0, {}, set()
    end = t + split * 3
    while len(seen) < n and time.monotonic() < end:
        s.settimeout(max(0.01, end - time.monotonic()))
        try:
            r = s.recv(65535)
        except socket.timeout:
            break
        qid = struct.unpack("!H", r[:2])[0]
        if qid in seen:
            continue
        seen.add(qid)
        if time.monotonic() - t < split:
            early += 1
        else:
            late += 1
        k = "%d" % (r[3] & 0xf)
        rcodes[k] = rcodes.get(k, 0) + 1
    return "early=%d late=%d noreply=%d rcodes=%s" % (
        early, late, n - len(seen),
        ",".join("%s:%d" % kv for kv in sorted(rcodes.items())))


def flood(port, n, name, rcvbuf):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    s.connect(("127.0.0.1", port))
    s.setblocking(False)
    t = time.monotonic()
    sent = 0
    pending = b""
    end = t + 20
    while time.monotonic() < end:
        if not pending and sent < n:
            k = min(1000, n - sent)
            for i in range(sent, sent + k):
                m = query(name % i if "%d" in name else name, qid=i & 0xffff)
                pending += struct.pack("!H", len(m)) + m
            sent += k
        try:
            if pending:
                w = s.send(pending)
                pending = pending[w:]
                continue
        except BlockingIOError:
            pass
        except (ConnectionResetError, BrokenPipeError):
            return "sent=%d dropped after %.1f" % (
                unsent(sent, pending), time.monotonic() - t)
        # blocked, or all sent: has the server gone?  Anything but
        # ESTABLISHED (1) means its FIN or RST arrived.
        if s.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 1)[0] != 1:
            return "sent=%d dropped after %.1f" % (
                unsent(sent, pending), time.monotonic() - t)
        time.sleep(0.05)
    return "sent=%d open" % unsent(sent, pending)


def unsent(sent, pending):
    """queries written whole: those made less those still pending"""
    n = 0
    while pending:
        n += 1
        pending = pending[2 + struct.unpack("!H", pending[:2])[0]:]
    return sent - n


def main():
    mode, port = sys.argv[1], int(sys.argv[2])
    if mode == "udp":
        addr = sys.argv[4] if len(sys.argv) > 4 else "127.0.0.1"
        print(udp_one(port, addr, build(sys.argv[3])))
    elif mode == "tcp":
        addr = sys.argv[4] if len(sys.argv) > 4 else "127.0.0.1"
        print(tcp_one(port, addr, build(sys.argv[3])))
    elif mode == "batch":
        one = {"udp": udp_one, "tcp": tcp_one}[sys.argv[3]]
        for case in sys.argv[4:]:
            m = CASES[case]()
            qid = 0x1234
            while qid == 0x1234:
                qid = random.randint(1, 65535)
            if len(m) >= 2:
                m = struct.pack("!H", qid) + m[2:]
            print("%s sent=%d %s qlen=%d" % (case, qid,
                                              one(port, "127.0.0.1", m),
                                              len(m)))
            sys.stdout.flush()
    elif mode == "seq":
        # seq PORT PREFIX N: N UDP queries PREFIX-i.example.test one after
        # another, each waiting for its reply; prints the tally and the
        # slowest answer
        prefix, n = sys.argv[3], int(sys.argv[4])
        tally = {}
        worst = 0.0
        for i in range(n):
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.settimeout(5)
            t = time.monotonic()
            s.sendto(query("%s-%d.example.test" % (prefix, i), qid=i),
                     ("127.0.0.1", port))
            try:
                r = s.recv(65535)
                k = "rcode%d" % (r[3] & 0xf) if r[:2] == bytes(
                    [i >> 8, i & 0xff]) else "wrongid"
            except socket.timeout:
                k = "noreply"
            worst = max(worst, time.monotonic() - t)
            tally[k] = tally.get(k, 0) + 1
            s.close()
        print(" ".join("%s=%d" % kv for kv in sorted(tally.items())) +
              " worst=%.3f" % worst)
    elif mode == "repeat":
        name, n = sys.argv[3], int(sys.argv[4])
        tally = {}
        worst = 0.0
        for i in range(n):
            qid = random.randint(1, 65535)
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.settimeout(5)
            t = time.monotonic()
            s.sendto(query(name, qid=qid), ("127.0.0.1", port))
            try:
                r = s.recv(65535)
                k = "rcode%d" % (r[3] & 0xf) if r[:2] == struct.pack(
                    "!H", qid) else "wrongid"
            except socket.timeout:
                k = "noreply"
            worst = max(worst, time.monotonic() - t)
            tally[k] = tally.get(k, 0) + 1
            s.close()
        print(" ".join("%s=%d" % kv for kv in sorted(tally.items())) +
              " worst=%.3f" % worst)
    elif mode == "burst":
        n, prefix = int(sys.argv[3]), sys.argv[4]
        addr = sys.argv[5] if len(sys.argv) > 5 else "127.0.0.1"
        fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
        s = socket.socket(fam, socket.SOCK_DGRAM)
        if os.environ.get("RAWDNS_SRC"):
            s.bind((os.environ["RAWDNS_SRC"], 0))
        sent = {}
        for i in range(n):
            m = query("%s-%d.example.test" % (prefix, i), qid=i + 1)
            sent[i + 1] = len(m)
            s.sendto(m, (addr, port))
        tally = {"answered": 0, "tc": 0, "other": 0, "big": 0}
        s.settimeout(1.5)
        got = 0
        while got < n:
            try:
                r = s.recv(65535)
            except socket.timeout:
                break
            got += 1
            qid, flags, qd, an = struct.unpack("!HHHH", r[:8])
            if flags & 0xf == 0 and an > 0:
                tally["answered"] += 1
                continue
            if len(r) > sent.get(qid, 0):
                tally["big"] += 1
            if flags & 0x0200 and an == 0:
                tally["tc"] += 1
            else:
                tally["other"] += 1
        tally["noreply"] = n - got
        print(" ".join("%s=%d" % (k, tally[k]) for k in
                       ("answered", "tc", "other", "noreply", "big")))
    elif mode == "ask":
        qtype = int(sys.argv[5]) if len(sys.argv) > 5 else 1
        print(udp_one(port, "127.0.0.1",
                      query(sys.argv[3], qtype=qtype, qid=int(sys.argv[4]))))
    elif mode == "pipeline":
        s = tcp_conn(port)
        s.settimeout(10)
        out = b""
        names = sys.argv[3:]
        for i, n in enumerate(names):
            m = query(n, qid=i + 1)
            out += struct.pack("!H", len(m)) + m
        s.sendall(out)
        for _ in names:
            try:
                hdr = recvn(s, 2)
            except socket.timeout:
                print("noreply")
                return
            if hdr is None:
                print("closed")
                return
            print(summary(recvn(s, struct.unpack("!H", hdr)[0])))
    elif mode == "together":
        together(port, sys.argv[3:])
    elif mode in ("idle", "partial"):
        s = tcp_conn(port)
        if mode == "partial":
            m = query("www.example.test")
            s.sendall(struct.pack("!H", len(m)) + m[:len(m) // 2])
        s.settimeout(float(sys.argv[3]))
        t = time.monotonic()
        try:
            r = s.recv(1)
            print("closed after %.1f" % (time.monotonic() - t) if not r
                  else "data")
        except socket.timeout:
            print("open")
        except ConnectionResetError:
            print("closed after %.1f" % (time.monotonic() - t))
    elif mode == "trickle":
        gap, limit = float(sys.argv[3]), float(sys.argv[4])
        s = tcp_conn(port)
        m = query("www.example.test")
        data = struct.pack("!H", len(m)) + m
        t = time.monotonic()
        print(trickle(s, data[:-1], gap, t + limit, t))
    elif mode == "steady":
        gap, limit = float(sys.argv[3]), float(sys.argv[4])
        s = tcp_conn(port)
        t = time.monotonic()
        n = 0
        res = "open"
        while time.monotonic() < t + limit:
            m = query("steady-%d.example.test" % n, qid=n)
            try:
                s.sendall(struct.pack("!H", len(m)) + m)
                hdr = recvn(s, 2)
                if hdr is None or recvn(s, struct.unpack("!H", hdr)[0]) \
                        is None:
                    res = "closed after %.1f" % (time.monotonic() - t)
                    break
            except (ConnectionResetError, BrokenPipeError):
                res = "closed after %.1f" % (time.monotonic() - t)
                break
            n += 1
            time.sleep(gap)
        print("%s answered=%d" % (res, n))
    elif mode == "conns":
        print(conns(port, int(sys.argv[3]), sys.argv[4],
                    sys.argv[5] if len(sys.argv) > 5 else None))
    elif mode == "handover":
        print(handover(port, int(sys.argv[3]), sys.argv[4], float(sys.argv[5])))
    elif mode == "deadline":
        n, prefix, split = int(sys.argv[3]), sys.argv[4], float(sys.argv[5])
        print(deadline(port, n, prefix, split))
    elif mode == "waves":
        s = tcp_conn(port)
        s.settimeout(10)
        names = sys.argv[3:]
        out = b""
        for i, n in enumerate(names):
            m = query(n, qid=i)
            out += struct.pack("!H", len(m)) + m
        t = time.monotonic()
        s.sendall(out)
        secs = {}
        for _ in names:
            try:
                hdr = recvn(s, 2)
            except socket.timeout:
                break
            if hdr is None or recvn(s, struct.unpack("!H", hdr)[0]) is None:
                break
            k = max(1, int(round(time.monotonic() - t)))
            secs[k] = secs.get(k, 0) + 1
        print(" ".join("%ds=%d" % kv for kv in sorted(secs.items())))
    elif mode == "hammer":
        end = time.monotonic() + float(sys.argv[3])
        socks = []
        while time.monotonic() < end:
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.settimeout(0.3)
            try:
                s.connect(("127.0.0.1", port))
                socks.append(s)
            except OSError:
                s.close()
            time.sleep(0.01)
        print("opened=%d" % len(socks))
    elif mode == "flood":
        print(flood(port, int(sys.argv[3]), sys.argv[4], int(sys.argv[5])))
    else:
        sys.exit("unknown mode " + mode)


if __name__ == "__main__":
    main()

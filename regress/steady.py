#!/usr/bin/env python3
# A client that checks every answer while something changes under it:
# asks N distinct names (PREFIX-I.SUFFIX, type A) over UDP, one every
# INTERVAL seconds with up to 20 in flight, and checks each reply: its ID,
# QR, the question (any case), NOERROR and an A record with ADDR.  A
# query without a reply in 3 s is lost.  Prints
#	sent=N right=N wrong=N lost=N
#
#   steady.py PORT PREFIX SUFFIX N INTERVAL ADDR

import random
import select
import socket
import struct
import sys
import time


def name_wire(name):
    out = b""
    for label in name.rstrip(".").split("."):
        out += bytes([len(label)]) + label.encode()
    return out + b"\x00"


def check(m, name, addr):
    """True if m answers name with an A record holding addr."""
    if len(m) < 12:
        return False
    _, flags, qd, an = struct.unpack("!HHHH", m[:8])
    qn = name_wire(name)
    q = m[12:12 + len(qn) + 4]
    if not flags & 0x8000 or flags & 0xf != 0 or qd != 1 or an < 1 or \
            q[:-4].lower() != qn.lower() or q[-4:] != b"\x00\x01\x00\x01":
        return False
    return socket.inet_aton(addr) in m[12 + len(qn) + 4:]


def main():
    port, prefix, suffix = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    n, interval, addr = int(sys.argv[4]), float(sys.argv[5]), sys.argv[6]
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    pending = {}		# id -> (name, time sent)
    right = wrong = lost = sent = 0
    nxt = time.monotonic()
    while sent < n or pending:
        now = time.monotonic()
        for qid, (name, t) in list(pending.items()):
            if now - t > 3:
                del pending[qid]
                lost += 1
        if sent < n and now >= nxt and len(pending) < 20:
            name = "%s-%d.%s" % (prefix, sent, suffix)
            qid = random.randrange(65536)
            while qid in pending:
                qid = random.randrange(65536)
            s.sendto(struct.pack("!HHHHHH", qid, 0x0100, 1, 0, 0, 0) +
                     name_wire(name) + b"\x00\x01\x00\x01",
                     ("127.0.0.1", port))
            pending[qid] = (name, now)
            sent += 1
            nxt += interval
        r, _, _ = select.select([s], [], [], 0.01)
        if not r:
            continue
        m = s.recv(65535)
        qid = struct.unpack("!H", m[:2])[0] if len(m) >= 2 else -1
        if qid not in pending:
            wrong += 1
            continue
        name, _ = pending.pop(qid)
        if check(m, name, addr):
            right += 1
        else:
            wrong += 1
    print("sent=%d right=%d wrong=%d lost=%d" % (sent, right, wrong, lost))


if __name__ == "__main__":
    main()

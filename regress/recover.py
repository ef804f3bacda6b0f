#!/usr/bin/env python3
# How long a dead engine costs: waits until process PID is gone (killing
# it first with "kill"), then asks a new name over UDP every 50 ms, the
# way a busy client would, and prints the milliseconds from the death to
# the first NOERROR answer with a record, or -1 after SECONDS.
#
#   recover.py PORT PID [kill] [SECONDS]
#
# Only answers to queries sent after the death count: a query the dying
# engine answered proves nothing about its replacement.

import os
import random
import select
import socket
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from rawdns import query  # noqa: E402


def dead(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            st = f.read()
    except OSError:
        return True
    return st[st.rindex(")") + 2] == "Z"


def main():
    port, pid = int(sys.argv[1]), int(sys.argv[2])
    rest = sys.argv[3:]
    kill = bool(rest) and rest[0] == "kill"
    if kill:
        rest = rest[1:]
    limit = float(rest[0]) if rest else 10.0
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    if kill:
        os.kill(pid, 9)
    end = time.monotonic() + 60
    while not dead(pid):
        if time.monotonic() > end:
            print(-1)
            return
        time.sleep(0.002)
    t0 = time.monotonic()
    sent = set()
    nxt, n = t0, 0
    while time.monotonic() - t0 < limit:
        now = time.monotonic()
        if now >= nxt:
            qid = random.randrange(65536)
            s.sendto(query("r%d-%d.recover.bench.test" % (n, pid),
                           qid=qid), ("127.0.0.1", port))
            sent.add(qid)
            n += 1
            nxt += 0.05
        r, _, _ = select.select([s], [], [], max(0, nxt - time.monotonic()))
        if not r:
            continue
        m = s.recv(65535)
        if len(m) < 12:
            continue
        qid, flags, _, an = struct.unpack("!HHHH", m[:8])
        if qid in sent and flags & 0xf == 0 and an >= 1:
            print(int((time.monotonic() - t0) * 1000))
            return
    print(-1)


if __name__ == "__main__":
    main()

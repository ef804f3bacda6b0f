#!/usr/bin/env python3
"""A stand-in for the service manager's end of sd_notify(3).

usage: notifyd.py SOCKET LOG
SOCKET is a path, or @name for the abstract namespace.  Each datagram
becomes one line of LOG: "pid=P mono=US KEY=value|KEY=value...", where P is
the sender's pid from SCM_CREDENTIALS (as systemd checks NotifyAccess by
it) and US is CLOCK_MONOTONIC in microseconds when it arrived.
"""
import os
import socket
import struct
import sys
import time

path, log = sys.argv[1], sys.argv[2]
addr = "\0" + path[1:] if path.startswith("@") else path
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
s.bind(addr)
out = open(log, "a", buffering=1)
out.write("listening\n")
while True:
    data, anc, _, _ = s.recvmsg(4096, socket.CMSG_SPACE(12))
    mono = time.clock_gettime_ns(time.CLOCK_MONOTONIC) // 1000
    pid = 0
    for level, kind, cdata in anc:
        if level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS:
            pid = struct.unpack("iII", cdata[:12])[0]
    text = data.decode("utf-8", "replace").strip("\n").replace("\n", "|")
    out.write("pid=%d mono=%d %s\n" % (pid, mono, text))

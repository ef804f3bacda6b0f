#!/usr/bin/env python3
# A bare HTTP client for the metrics endpoint tests, which must also send
# what no real client would.
#
#   http.py PORT PATH [METHOD]   one request; prints the status line, then
#                                the body
#   http.py PORT --raw BYTES     sends BYTES (Python escapes allowed) as is;
#                                prints the status line, or "closed"
import socket
import sys


def main():
    port = int(sys.argv[1])
    if sys.argv[2] == "--raw":
        req = sys.argv[3].encode().decode("unicode_escape").encode("latin-1")
    else:
        method = sys.argv[3] if len(sys.argv) > 3 else "GET"
        req = ("%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
               % (method, sys.argv[2])).encode()
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    try:
        s.sendall(req)
    except OSError:
        pass
    data = b""
    try:
        while True:
            b = s.recv(65536)
            if not b:
                break
            data += b
    except OSError:
        pass
    if not data:
        print("closed")
        return
    head, _, body = data.partition(b"\r\n\r\n")
    try:
        sys.stdout.write(head.split(b"\r\n")[0].decode() + "\n")
        sys.stdout.write(body.decode())
        sys.stdout.flush()
    except BrokenPipeError:
        pass    # the test read the status line only


main()

#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Tiny TCP file transfer for the integration tests (no nc/socat needed).

  xfer.py recv ADDR PORT OUTFILE [TIMEOUT]   accept one connection, write what arrives
  xfer.py send ADDR PORT INFILE  [TIMEOUT]   connect (retrying), send the file, close
Exit 0 on success; the sha256 is compared by the caller.
"""
import socket
import sys
import time


def recv(addr, port, path, timeout):
    srv = socket.socket(socket.AF_INET6 if ":" in addr else socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind((addr, port))
    srv.listen(1)
    srv.settimeout(timeout)
    conn, _ = srv.accept()
    conn.settimeout(timeout)
    n = 0
    with open(path, "wb") as f:
        while True:
            buf = conn.recv(1 << 16)
            if not buf:
                break
            f.write(buf)
            n += len(buf)
    conn.close()
    srv.close()
    print(f"received {n} bytes", file=sys.stderr)


def send(addr, port, path, timeout):
    deadline = time.monotonic() + timeout
    while True:
        try:
            s = socket.create_connection((addr, port), timeout=timeout)
            break
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)
    with open(path, "rb") as f:
        s.sendall(f.read())
    s.shutdown(socket.SHUT_WR)
    s.settimeout(timeout)
    while s.recv(4096):
        pass
    s.close()


def main():
    if len(sys.argv) < 5 or sys.argv[1] not in ("recv", "send"):
        print(__doc__, file=sys.stderr)
        return 2
    timeout = float(sys.argv[5]) if len(sys.argv) > 5 else 20.0
    fn = recv if sys.argv[1] == "recv" else send
    fn(sys.argv[2], int(sys.argv[3]), sys.argv[4], timeout)
    return 0


if __name__ == "__main__":
    sys.exit(main())

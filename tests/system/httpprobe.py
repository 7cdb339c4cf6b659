#!/usr/bin/env python3
"""Raw-socket HTTP probes for the system tests (things curl cannot do).

usage: httpprobe.py PORT half          send half a request, then vanish
       httpprobe.py PORT keepalive N   N concurrent keep-alive connections,
                                       3 requests each; prints answered count
       httpprobe.py PORT pipeline      3 pipelined requests in one write;
                                       prints the status lines in order
       httpprobe.py PORT slowheaders   headers never finished: prints what the
                                       server did (closed / status line)
"""
import socket, sys, time

def connect(port):
    s = socket.create_connection(("127.0.0.1", port), timeout=30)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s

def read_response(f):
    """Read one response from a file object; return (status line, body)."""
    status = f.readline().decode().strip()
    length = 0
    while True:
        line = f.readline().decode()
        if line in ("\r\n", "\n", ""):
            break
        k, _, v = line.partition(":")
        if k.lower() == "content-length":
            length = int(v.strip())
    return status, f.read(length)

def half(port):
    for _ in range(5):
        s = connect(port)
        s.sendall(b"POST /state HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{\"a\":")
        s.close()
        s = connect(port)
        s.sendall(b"GET /sta")
        s.close()
    print("sent")

def keepalive(port, n):
    socks = [connect(port) for _ in range(n)]
    files = [s.makefile("rb") for s in socks]
    answered = 0
    for _ in range(3):
        for s in socks:
            s.sendall(b"GET /state HTTP/1.1\r\nHost: x\r\n\r\n")
        for f in files:
            status, body = read_response(f)
            if status.startswith("HTTP/1.1 200") and body.startswith(b'{"tiers"'):
                answered += 1
    for s in socks:
        s.close()
    print(answered)

def pipeline(port):
    s = connect(port)
    s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
              b"GET /nope HTTP/1.1\r\nHost: x\r\n\r\n"
              b"GET /state HTTP/1.1\r\nHost: x\r\n\r\n")
    f = s.makefile("rb")
    for _ in range(3):
        status, body = read_response(f)
        print(status, body[:12].decode())
    s.close()

def slowheaders(port):
    s = connect(port)
    s.sendall(b"GET /state HTTP/1.1\r\nHost: x\r\n")
    start = time.time()
    data = b""
    try:
        while True:
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
    except socket.timeout:
        print("still open after", int(time.time() - start), "s")
        return
    print("closed after %d s: %s" % (time.time() - start, data.split(b"\r\n")[0].decode()))

def main():
    port, what = int(sys.argv[1]), sys.argv[2]
    if what == "half":
        half(port)
    elif what == "keepalive":
        keepalive(port, int(sys.argv[3]))
    elif what == "pipeline":
        pipeline(port)
    elif what == "slowheaders":
        slowheaders(port)
    else:
        sys.exit(__doc__)

if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Raw-socket HTTP probes for the system tests (things curl cannot do).

usage: httpprobe.py PORT half          send half a request, then vanish
       httpprobe.py PORT keepalive N   N concurrent keep-alive connections,
                                       3 requests each; prints answered count
       httpprobe.py PORT pipeline      3 pipelined requests in one write;
                                       prints the status lines in order
       httpprobe.py PORT slowheaders   headers never finished: prints what the
                                       server did (closed / status line)
       httpprobe.py PORT wsstall PATH S  a WebSocket that never reads, for S s
"""
import os, socket, sys, time

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
    elif what == "wsstall":
        ws_stall(port, sys.argv[3], float(sys.argv[4]))
    else:
        sys.exit(__doc__)


def ws_stall(port, path, seconds):
    """Open a WebSocket on path, never read from it, hold it open."""
    import base64
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.connect(("127.0.0.1", port))
    key = base64.b64encode(os.urandom(16)).decode()
    s.sendall(("GET %s HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
               "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: %s\r\n"
               "Sec-WebSocket-Protocol: sando.v1\r\n\r\n" % (path, key)).encode())
    head = s.recv(1024)  # the 101 (and perhaps the first frames)
    print(head.split(b"\r\n")[0].decode(), flush=True)
    time.sleep(seconds)
    s.close()

if __name__ == "__main__":
    main()

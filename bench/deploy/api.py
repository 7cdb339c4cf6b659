#!/usr/bin/env python3
"""One timed promote or rollback through sandod's API, for bench/deploy.sh.

usage: api.py SANDO_BIN URL DB ACTION TIER [REPEAT]
  ACTION  promote | rollback
  REPEAT  how many times in a row (rollbacks: each one swaps back again)

A subscriber (`sando events --json --since SEQ`, SEQ the events table's last
seq) is started first and given 0.3 s to go live; each line it prints is
stamped with time.monotonic() by a reader thread as it arrives.  Then, per
repetition: t0 just before the HTTP request (http.client, in this process),
POST /promote/TIER or /rollback/TIER, the 202's promote_id, and the arrival of
that promote's terminal event (promote_complete or rollback).  The loopback
interface's byte counter (/proc/net/dev, tx of "lo": every byte of every
packet, both directions, TCP/IP headers included) is read before the request
and after the terminal event.

Prints one JSON object per repetition: total_s (t0 -> terminal event),
accepted_s (t0 -> 202 read), first_node_s / last_node_s (t0 -> first / last
deploy_ok), status (of the event, then checked with GET /promotes/ID),
lo_bytes.  Exits 1 when a promote does not end "ok".
"""
import http.client, json, os, queue, sqlite3, subprocess, sys, threading, time
from urllib.parse import urlparse


def lo_bytes():
    with open("/proc/net/dev") as f:
        for line in f:
            name, _, rest = line.partition(":")
            if name.strip() == "lo":
                return int(rest.split()[8])  # transmit bytes
    return 0


def request(host, port, method, path, body=None):
    c = http.client.HTTPConnection(host, port, timeout=30)
    headers = {"Content-Type": "application/json"} if body is not None else {}
    c.request(method, path, body=body, headers=headers)
    r = c.getresponse()
    data = r.read()
    c.close()
    return r.status, data


def main():
    sando, url, db, action, tier = sys.argv[1:6]
    repeat = int(sys.argv[6]) if len(sys.argv) > 6 else 1
    u = urlparse(url)
    con = sqlite3.connect("file:%s?mode=ro" % db, uri=True)
    since = con.execute("SELECT coalesce(max(seq), 0) FROM events").fetchone()[0]
    con.close()
    sub = subprocess.Popen([sando, "--daemon", url, "events", "--json", "--since", str(since)],
                           stdout=subprocess.PIPE, text=True, bufsize=1)
    q = queue.Queue()

    def reader():
        raw = open(os.environ["API_EVENTS_LOG"], "a") if os.environ.get("API_EVENTS_LOG") else None
        for line in sub.stdout:
            t = time.monotonic()
            if raw:
                raw.write(line)
                raw.flush()
            try:
                q.put((t, json.loads(line)))
            except ValueError:
                pass
        q.put((time.monotonic(), None))

    threading.Thread(target=reader, daemon=True).start()
    time.sleep(0.3)
    final_kind = "rollback" if action == "rollback" else "promote_complete"
    rc = 0
    for i in range(repeat):
        b0 = lo_bytes()
        t0 = time.monotonic()
        status, data = request(u.hostname, u.port, "POST", "/%s/%s" % (action, tier), b"{}")
        t_acc = time.monotonic()
        if status != 202:
            print(json.dumps({"error": "POST answered %d: %s" % (status, data.decode(errors="replace"))}))
            rc = 1
            break
        pid = json.loads(data)["promote_id"]
        nodes, end = [], None
        while end is None:
            t, ev = q.get(timeout=600)
            if ev is None:
                print(json.dumps({"error": "the event stream ended"}))
                sys.exit(1)
            if ev.get("promote_id") != pid:
                continue
            # A node's deploy_start / deploy_ok / deploy_failed event carries
            # "kind": "promote" or "rollback" in place of its own kind (see
            # RESULTS.md): told apart by its deploy_id, a finished one by
            # its outcome.
            if "deploy_id" in ev:
                if ev.get("outcome", {}).get("status") == "ok":
                    nodes.append(t - t0)
            elif ev.get("kind") == final_kind:
                end = (t, ev)
        b1 = lo_bytes()
        t, ev = end
        st, body = request(u.hostname, u.port, "GET", "/promotes/%d" % pid)
        row = json.loads(body) if st == 200 else {}
        out = {"promote_id": pid, "total_s": t - t0, "accepted_s": t_acc - t0,
               "first_node_s": min(nodes) if nodes else None,
               "last_node_s": max(nodes) if nodes else None, "nodes_ok": len(nodes),
               "status": ev.get("status"), "row_status": row.get("status"),
               "version": ev.get("version"), "lo_bytes": b1 - b0}
        if ev.get("status") != "ok":
            out["error"] = ev.get("error")
            rc = 1
        print(json.dumps(out), flush=True)
        if rc:
            break
        if i + 1 < repeat:
            time.sleep(0.2)
    sub.terminate()
    sub.wait()
    sys.exit(rc)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Push-to-build_start latency (issue 3), measured from outside like a user.

usage: push_bench.py SANDO_BIN URL WORKSPACE N

For each of N commits: time `git push` to the daemon's bare repository (whose
post-receive hook posts /rebuild), and the moment the build_start event for
that commit arrives on `sando events --json`.  The same pushes to a plain
bare repository without a hook give the bare-tool baseline.  Prints medians.
"""
import json, os, statistics, subprocess, sys, threading, time

def run(*args, cwd=None):
    subprocess.run(args, cwd=cwd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

def main():
    sando, url, ws, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    app, bare = os.path.join(ws, "app"), os.path.join(ws, "plain.git")
    run("git", "init", "-q", "--bare", bare)
    events = subprocess.Popen([sando, "--daemon", url, "events", "--json"],
                              stdout=subprocess.PIPE, text=True, bufsize=1)
    seen, cond = {}, threading.Condition()

    def reader():
        for line in events.stdout:
            ev = json.loads(line)
            if ev.get("kind") == "build_start":
                with cond:
                    seen[ev["sha"]] = time.monotonic()
                    cond.notify_all()
    threading.Thread(target=reader, daemon=True).start()
    time.sleep(0.3)
    hooked, plain, after_return, after_start = [], [], [], []
    for i in range(n):
        with open(os.path.join(app, "VERSION"), "w") as f:
            f.write("1.0.%d\n" % (i + 1))
        run("git", "-c", "user.name=b", "-c", "user.email=b@b", "commit", "-qam", "v%d" % i, cwd=app)
        sha = subprocess.check_output(["git", "rev-parse", "HEAD"], cwd=app, text=True).strip()
        t0 = time.monotonic()
        run("git", "push", "-q", bare, "HEAD:main", cwd=app)
        plain.append(time.monotonic() - t0)
        t0 = time.monotonic()
        run("git", "push", "-q", os.path.join(ws, "repo.git"), "HEAD:main", cwd=app)
        t1 = time.monotonic()
        hooked.append(t1 - t0)
        with cond:
            cond.wait_for(lambda: sha in seen, timeout=10)
        t_ev = seen.get(sha)
        if t_ev is None:
            print("build_start for %s never arrived" % sha); continue
        after_start.append(t_ev - t0)
        after_return.append(t_ev - t1)
        time.sleep(0.05)
    events.terminate()
    ms = lambda xs: "%.1f ms" % (statistics.median(xs) * 1000)
    print("pushes: %d" % n)
    print("git push to a plain bare repo (bare tool): median %s" % ms(plain))
    print("git push to sandod's repo (hook + POST /rebuild): median %s  (ratio %.2fx)"
          % (ms(hooked), statistics.median(hooked) / statistics.median(plain)))
    print("push start -> build_start event: median %s, p90 %.1f ms" %
          (ms(after_start), sorted(after_start)[int(len(after_start) * 0.9) - 1] * 1000))
    print("push returned -> build_start event: median %s (negative: the event came first;"
          " target < 50 ms)" % ms(after_return))

if __name__ == "__main__":
    main()

#!/bin/bash
# HTTP benchmark (issue 2): wrk on loopback against /state with keep-alive,
# 1 thread, 50 connections; sandod pinned to one core, wrk to the other.
# Also the idle sandod's resident memory.  Prints figures, never fails on them.
#
# usage: bench/http.sh [BUILD_DIR] [SECONDS]
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-build}
secs=${2:-10}
sandod="$top/$build/src/daemon/sandod"
command -v wrk >/dev/null || { echo "bench: wrk is not installed (apt-get install wrk)"; exit 1; }

ws=$(mktemp -d "${TMPDIR:-/tmp}/sando-bench.XXXXXX")
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$ws"' EXIT
cat >"$ws/daemon.toml" <<EOT
listen = "127.0.0.1:0"
db_path = "sando.db"
topology_path = "sando.toml"
workdir = "work"
release_root = "releases"
EOT
cat >"$ws/sando.toml" <<EOT
[repo]
bare_path = "$ws/repo.git"
[[tier]]
name = "build"
gates = [ { kind = "test", command = ["make", "check"] }, { kind = "boot_smoke" } ]
[[tier]]
name = "staging"
gates = [ { kind = "boot_smoke" }, { kind = "manual_confirm" } ]
[[tier.node]]
name = "staging-1"
ssh_target = "local"
release_root = "$ws/nodes/staging-1"
[[tier]]
name = "prod"
gates = [ { kind = "burn_in", hours = 48 }, { kind = "manual_confirm" } ]
[[tier.node]]
name = "prod-1"
ssh_target = "deploy@prod-1:22"
release_root = "/opt/app"
[[tier.node]]
name = "prod-2"
ssh_target = "deploy@prod-2:22"
release_root = "/opt/app"
EOT
taskset -c 0 "$sandod" --config "$ws/daemon.toml" 2>"$ws/log" &
pid=$!
for _ in $(seq 100); do grep -q 'ready:' "$ws/log" && break; sleep 0.05; done
port=$(sed -n 's/.*(port \([0-9]*\)).*/\1/p' "$ws/log")
sleep 0.5
rss_idle=$(awk '/VmRSS/ {print $2}' /proc/$pid/status)
anon_idle=$(awk '/RssAnon/ {print $2}' /proc/$pid/status)
pss_idle=$(awk '/^Pss:/ {print $2}' /proc/$pid/smaps_rollup)
bytes=$(curl -s "http://127.0.0.1:$port/state" | wc -c)

echo "== sandod $(git -C "$top" rev-parse --short HEAD 2>/dev/null), $(nproc) cores, /state = $bytes bytes"
echo "idle RSS: ${rss_idle} kB (target < 5120 kB); PSS ${pss_idle} kB; anonymous ${anon_idle} kB"
taskset -c 1 wrk -t1 -c50 -d"${secs}s" --latency "http://127.0.0.1:$port/state" | tee "$ws/wrk"
rps=$(awk '/Requests\/sec/ {print $2}' "$ws/wrk")
p99=$(awk '$1 == "99%" {print $2}' "$ws/wrk")
rss_after=$(awk '/VmRSS/ {print $2}' /proc/$pid/status)
echo "== summary: ${rps} req/s (target >= 30000, ratio $(awk -v r="$rps" 'BEGIN {printf "%.2f", r/30000}')x), p99 ${p99} (target < 5 ms), RSS idle ${rss_idle} kB, after load ${rss_after} kB"

#!/bin/bash
# GET /metrics over a long history (issue 6): 1,000 staged versions and builds,
# 10,000 gate runs, 2,000 promotes/rollbacks and 4,000 deploys written with
# sqlite3 into a stopped daemon's database, then timed with curl: rendered
# (the cache expires each second, so requests 1.1 s apart render afresh) and
# cached (back-to-back on one connection); GET /healthz, which touches
# nothing, is the bare baseline of the same run.  Prints figures, never fails
# on them.
#
# usage: bench/metrics.sh [BUILD_DIR] [RENDERED_SAMPLES]
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-build}
samples=${2:-15}
case "$build" in /*) ;; *) build="$top/$build" ;; esac
sandod="$build/src/daemon/sandod"

ws=$(mktemp -d "${TMPDIR:-/tmp}/sando-bench.XXXXXX")
pid=
trap '[ -z "$pid" ] || { kill $pid 2>/dev/null; wait $pid 2>/dev/null; }; [ -n "${KEEP:-}" ] || rm -rf "$ws"' EXIT
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
gates = [ { kind = "test", command = ["make", "check"] }, { kind = "boot_smoke" },
  { kind = "command", name = "lint", run = ["true"] } ]
[[tier]]
name = "staging"
gates = [ { kind = "boot_smoke" }, { kind = "manual_confirm" }, { kind = "burn_in", hours = 48 } ]
[[tier.node]]
name = "staging-1"
ssh_target = "local"
release_root = "$ws/nodes/staging-1"
[[tier]]
name = "prod"
[[tier.node]]
name = "prod-1"
ssh_target = "local"
release_root = "$ws/nodes/prod-1"
[[tier.node]]
name = "prod-2"
ssh_target = "local"
release_root = "$ws/nodes/prod-2"
EOT

start() {
	"$sandod" --config "$ws/daemon.toml" 2>"$ws/log" &
	pid=$!
	for _ in $(seq 200); do grep -q 'ready:' "$ws/log" && break; sleep 0.05; done
	port=$(sed -n 's/.*(port \([0-9]*\)).*/\1/p' "$ws/log")
}
start
kill $pid; wait $pid || true; pid=

# t(SECONDS_AGO) as the store's RFC 3339 text
sqlite3 "$ws/sando.db" <<'EOT'
CREATE TEMP VIEW n1000 AS WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 1000) SELECT i FROM c;
CREATE TEMP VIEW n10000 AS SELECT a.i + 1000 * (b.i - 1) AS i FROM n1000 a, n1000 b WHERE b.i <= 10;
BEGIN;
INSERT INTO builds(sha, status, version, requested_at, started_at, finished_at)
  SELECT printf('%040d', i), CASE WHEN i % 10 = 0 THEN 'failed' ELSE 'ok' END, '1.0.' || i,
    strftime('%Y-%m-%dT%H:%M:%SZ', 'now', '-' || (3600 * (1000 - i) + 120) || ' seconds'),
    strftime('%Y-%m-%dT%H:%M:%SZ', 'now', '-' || (3600 * (1000 - i) + 120) || ' seconds'),
    strftime('%Y-%m-%dT%H:%M:%SZ', 'now', '-' || (3600 * (1000 - i) + 120 - i % 200) || ' seconds')
  FROM n1000;
INSERT INTO versions(version, sha, staged_at, build_id)
  SELECT '1.0.' || i, printf('%040d', i),
    strftime('%Y-%m-%dT%H:%M:%SZ', 'now', '-' || (3600 * (1000 - i)) || ' seconds'), i
  FROM n1000;
INSERT INTO gate_runs(tier_id, version, gate, kind, status, outcome_json, started_at, finished_at)
  SELECT CASE WHEN i % 5 < 3 THEN 1 ELSE 2 END, '1.0.' || (1 + i % 1000),
    CASE i % 5 WHEN 0 THEN 'test' WHEN 1 THEN 'boot_smoke' WHEN 2 THEN 'lint' WHEN 3 THEN 'boot_smoke' ELSE 'manual_confirm' END,
    CASE i % 5 WHEN 0 THEN 'test' WHEN 1 THEN 'boot_smoke' WHEN 2 THEN 'command' WHEN 3 THEN 'boot_smoke' ELSE 'manual_confirm' END,
    CASE WHEN i % 17 = 0 THEN 'failed' WHEN i % 23 = 0 THEN 'blocked' ELSE 'passed' END, '{"status":"passed"}',
    strftime('%Y-%m-%dT%H:%M:%SZ', 'now', '-' || (360 * (10000 - i) + 900) || ' seconds'),
    strftime('%Y-%m-%dT%H:%M:%SZ', 'now', '-' || (360 * (10000 - i) + 900 - i % 700) || ' seconds')
  FROM n10000;
INSERT INTO promotes(kind, tier_id, version, actor, status, started_at, finished_at)
  SELECT CASE WHEN i % 25 = 0 THEN 'rollback' ELSE 'promote' END, 2 + i % 2, '1.0.' || max(1, i / 2 - 1),
    'local', CASE WHEN i % 13 = 0 THEN 'failed' ELSE 'ok' END,
    strftime('%Y-%m-%dT%H:%M:%SZ', 'now', '-' || (1800 * (2000 - i) + 60) || ' seconds'),
    strftime('%Y-%m-%dT%H:%M:%SZ', 'now', '-' || (1800 * (2000 - i) + 60 - i % 90) || ' seconds')
  FROM n10000 WHERE i <= 2000;
INSERT INTO deploys(promote_id, kind, tier_id, node_id, version, status, outcome_json, started_at, finished_at)
  SELECT p.id, 'promote', p.tier_id, n.id, p.version, CASE WHEN p.status = 'failed' AND n.name = 'prod-2' THEN 'failed' ELSE 'ok' END,
    CASE WHEN p.status = 'failed' AND n.name = 'prod-2' THEN '{"status":"failed","failure":{"kind":"health_failed","status":503}}' ELSE '{"status":"ok"}' END,
    p.started_at, p.finished_at
  FROM promotes p JOIN nodes n ON n.tier_id = p.tier_id;
UPDATE tier_state SET current_version = '1.0.1000', previous_version = '1.0.999', burn_in_started_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now', '-3600 seconds');
COMMIT;
EOT
start
counts=$(sqlite3 "$ws/sando.db" "SELECT (SELECT count(*) FROM versions) || ' versions, ' || (SELECT count(*) FROM gate_runs) || ' gate runs, ' || (SELECT count(*) FROM promotes) || ' promotes, ' || (SELECT count(*) FROM deploys) || ' deploys'")
url="http://127.0.0.1:$port"
curl -s "$url/metrics" >"$ws/metrics.txt"
bytes=$(wc -c <"$ws/metrics.txt")
if command -v promtool >/dev/null; then
	check=$(promtool check metrics <"$ws/metrics.txt" 2>&1 && echo ok || true)
else
	check="promtool not installed"
fi

median() { sort -g | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)] * 1000}'; }
rendered() { # path: one fresh connection per request, 1.1 s apart (the cache lives 1 s)
	for _ in $(seq "$samples"); do
		sleep 1.1
		curl -s -o /dev/null -w '%{time_total}\n' "$url$1"
	done | median
}
cached() { # path: 500 back-to-back requests on one keep-alive connection
	local args=()
	for _ in $(seq 500); do args+=("$url$1" -o /dev/null); done
	curl -s -w '%{time_total}\n' "${args[@]}" | median
}
# CPU per rendered request: sandod's own CPU counter, read from consecutive
# rendered answers (each is read after its store part was rendered)
cpu_per_render() {
	for _ in $(seq "$samples"); do
		sleep 1.1
		curl -s "$url/metrics" | sed -n 's/^sando_process_cpu_seconds_total //p'
	done | awk 'NR > 1 {print $1 - prev} {prev = $1}' | median
}
echo "== /metrics over $counts: $bytes bytes, promtool check: $check"
c=$(cpu_per_render)
r=$(rendered /metrics); h=$(rendered /healthz)
rc=$(cached /metrics); hc=$(cached /healthz)
printf 'rendered (new connection, cache expired): /metrics %.2f ms, /healthz %.2f ms (%.1fx)\n' "$r" "$h" "$(echo "$r / $h" | bc -l)"
printf 'sandod CPU per rendered /metrics (median of %d): %.2f ms\n' "$((samples - 1))" "$c"
printf 'cached (keep-alive):                      /metrics %.3f ms, /healthz %.3f ms (%.1fx)\n' "$rc" "$hc" "$(echo "$rc / $hc" | bc -l)"

# `sando state` over the same history (issue 6: below 20 ms wall), the whole
# client run (start, one GET /state, print); `curl /state` is the baseline.
sando="$build/src/client/sando"
if [ -x "$sando" ]; then
	wall() { # command...: median wall time in ms over 30 runs, 1.1 s apart (a fresh /state)
		for _ in $(seq 30); do
			sleep 1.1
			s=$(date +%s%N); "$@" >/dev/null 2>&1; e=$(date +%s%N)
			echo "$(( (e - s) / 1000 ))"
		done | sort -n | awk '{a[NR] = $1} END {printf "%.2f", a[int((NR + 1) / 2)] / 1000}'
	}
	ws_=$(wall "$sando" --daemon "$url" state); wc_=$(wall curl -s "$url/state")
	printf 'sando state (wall, median of 30, /state rendered afresh): %s ms; curl /state: %s ms\n' "$ws_" "$wc_"
fi

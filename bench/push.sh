#!/bin/bash
# Push-to-build_start latency (issue 3): a real sandod, real git pushes through
# the post-receive hook, the build_start event read with `sando events`.
# usage: bench/push.sh [BUILD_DIR] [PUSHES]
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-build}
n=${2:-30}
ws=$(mktemp -d "${TMPDIR:-/tmp}/sando-bench-push.XXXXXX")
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$ws"' EXIT
cat >"$ws/daemon.toml" <<EOT
listen = "127.0.0.1:0"
db_path = "sando.db"
topology_path = "sando.toml"
workdir = "work"
release_root = "releases"
bin_names = ["app"]
[build]
dir = "."
command = ["true"]
artifact_dir = "."
version_from = "VERSION"
EOT
printf '[repo]\nbare_path = "%s/repo.git"\n[[tier]]\nname = "build"\n' "$ws" >"$ws/sando.toml"
"$top/$build/src/daemon/sandod" --config "$ws/daemon.toml" 2>"$ws/log" &
pid=$!
for _ in $(seq 100); do grep -q 'ready:' "$ws/log" && break; sleep 0.05; done
port=$(sed -n 's/.*(port \([0-9]*\)).*/\1/p' "$ws/log")
git init -q -b main "$ws/app"
printf '#!/bin/sh\n' >"$ws/app/app"; chmod +x "$ws/app/app"; echo 1.0.0 >"$ws/app/VERSION"
git -C "$ws/app" add -A && git -C "$ws/app" -c user.name=b -c user.email=b@b commit -qm init
echo "== push -> build_start, sandod $(git -C "$top" rev-parse --short HEAD), $n pushes"
python3 "$top/bench/push_bench.py" "$top/$build/src/client/sando" "http://127.0.0.1:$port" "$ws" "$n"

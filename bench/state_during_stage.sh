#!/bin/bash
# /state throughput while builds stage 150 MB releases (issue 3): wrk against
# /state for SECONDS, first with the daemon idle, then while a loop pushes new
# commits whose build writes 150 MB of release content, back to back (each
# push stages a new version on the thread pool).  Builds and stages run at
# nice 10, as in production.  Prints both and the ratio.
# usage: bench/state_during_stage.sh [BUILD_DIR] [SECONDS]
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-build}
secs=${2:-10}
ws=$(mktemp -d "${TMPDIR:-/tmp}/sando-bench-stage.XXXXXX")
trap 'kill $pid $pusher 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$ws"' EXIT
pusher=
cat >"$ws/daemon.toml" <<EOT
listen = "127.0.0.1:0"
db_path = "sando.db"
topology_path = "sando.toml"
workdir = "work"
release_root = "releases"
bin_names = ["app"]
release_contents = [ { src = "static", dst = "static", required = true } ]
retain_releases = 3
[build]
dir = "."
command = ["sh", "build.sh"]
artifact_dir = "."
version_from = "VERSION"
EOT
printf '[repo]\nbare_path = "%s/repo.git"\n[[tier]]\nname = "build"\n' "$ws" >"$ws/sando.toml"
taskset -c 0 "$top/$build/src/daemon/sandod" --config "$ws/daemon.toml" 2>"$ws/log" &
pid=$!
for _ in $(seq 100); do grep -q 'ready:' "$ws/log" && break; sleep 0.05; done
port=$(sed -n 's/.*(port \([0-9]*\)).*/\1/p' "$ws/log")
app="$ws/app"
git init -q -b main "$app"
mkdir -p "$app/static"
printf 'set -e\nmkdir -p static\nhead -c 157286400 /dev/zero >static/big.bin\nprintf "#!/bin/sh\\n" >app\n' >"$app/build.sh"
echo 1.0.0 >"$app/VERSION"
git -C "$app" add -A && git -C "$app" -c user.name=b -c user.email=b@b commit -qm init

run_wrk() { taskset -c 1 wrk -t1 -c50 -d"${secs}s" --latency "http://127.0.0.1:$port/state"; }
echo "== /state idle"
run_wrk | grep -E 'Requests/sec|99%' | tee "$ws/idle"
(
	i=0
	while :; do
		i=$((i + 1))
		echo "1.0.$i" >"$app/VERSION"
		git -C "$app" -c user.name=b -c user.email=b@b commit -qam "v$i"
		git -C "$app" push -q "$ws/repo.git" main 2>/dev/null
		# let each build finish (a new push would abort it): back-to-back stages
		while curl -s "http://127.0.0.1:$port/builds" | grep -q '^\[{[^}]*"status":"running"'; do
			sleep 0.05
		done
	done
) &
pusher=$!
sleep 1
echo "== /state while staging 150 MB releases"
run_wrk | grep -E 'Requests/sec|99%' | tee "$ws/busy"
kill $pusher; pusher=
sleep 2
staged=$(curl -s "http://127.0.0.1:$port/versions" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
idle=$(awk '/Requests\/sec/ {print $2}' "$ws/idle")
busy=$(awk '/Requests\/sec/ {print $2}' "$ws/busy")
echo "== summary: idle $idle req/s, during staging $busy req/s (ratio $(awk -v a="$busy" -v b="$idle" 'BEGIN {printf "%.2f", a/b}')), $staged releases of 150 MB staged"

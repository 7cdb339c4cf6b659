# Helpers for sando's system tests (bats), after git's t/lib-git-daemon.sh:
# a temporary workspace, a daemon on a free loopback port (listen = :0, the
# port read back from its "ready:" line), and a teardown that stops it.
#
#   SANDOD      the sandod binary under test (set by tests/run-all.sh)
#   SANDO_TOP   the repository root
#   WS          the test's workspace; $WS/sandod.log holds the daemon's stderr
#   URL         http://127.0.0.1:PORT once sando_start has returned

: "${SANDO_TOP:=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)}"
: "${SANDOD:=$SANDO_TOP/build/src/daemon/sandod}"
SHARED="$SANDO_TOP/../shared"

sando_ws() {
	WS="$BATS_TEST_TMPDIR/ws"
	mkdir -p "$WS"
}

# Write a minimal daemon.toml + sando.toml (tiers given as TOML text in $1;
# default: a first tier "host" and a tier "staging" with one local node).
sando_config() {
	sando_ws
	local tiers=${1:-}
	if [ -z "$tiers" ]; then
		tiers=$(printf '[[tier]]\nname = "host"\n[[tier]]\nname = "staging"\n[[tier.node]]\nname = "s-1"\nssh_target = "local"\nrelease_root = "%s/nodes/s-1"\n' "$WS")
	fi
	cat >"$WS/daemon.toml" <<EOT
listen = "127.0.0.1:0"
db_path = "state/sando.db"
topology_path = "sando.toml"
workdir = "work"
release_root = "releases"
EOT
	printf '[repo]\nbare_path = "%s/repo.git"\n%s\n' "$WS" "$tiers" >"$WS/sando.toml"
}

# Copy an example from shared/examples with its absolute paths moved into $WS
# and listen moved to a free loopback port.  The files' keys stay unchanged.
sando_config_example() {
	sando_ws
	local f
	for f in daemon.toml sando.toml; do
		sed -e "s#/srv/sando#$WS/srv#g" -e "s#/var/lib/sando#$WS/var#g" \
			-e "s#/etc/sando#$WS#g" -e "s#/tmp/sando-dev#$WS#g" -e "s#/opt/mnw#$WS/opt#g" \
			-e 's#^listen = .*#listen = "127.0.0.1:0"#' \
			"$SHARED/examples/$1/$f" >"$WS/$f"
	done
	grep -q '^listen' "$WS/daemon.toml" || sed -i '1i listen = "127.0.0.1:0"' "$WS/daemon.toml"
}

# Start sandod on $WS/daemon.toml and wait for its ready line.
sando_start() {
	local i skip
	skip=$(cat "$WS/sandod.log" 2>/dev/null | wc -l)
	"$SANDOD" --config "$WS/daemon.toml" "$@" 2>>"$WS/sandod.log" &
	SANDOD_PID=$!
	for i in $(seq 1 400); do
		# only this start's lines count: an earlier run's ready line is stale
		if tail -n +$((skip + 1)) "$WS/sandod.log" | grep -q 'ready: listening'; then
			PORT=$(tail -n +$((skip + 1)) "$WS/sandod.log" |
				sed -n 's/.*ready: listening.*(port \([0-9]*\)).*/\1/p' | tail -1)
			URL="http://127.0.0.1:$PORT"
			return 0
		fi
		kill -0 "$SANDOD_PID" 2>/dev/null || break
		sleep 0.05
	done
	echo "sandod did not become ready:" >&2
	cat "$WS/sandod.log" >&2
	return 1
}

# Stop the daemon with SIGTERM and wait for it; its exit status in STOP_STATUS.
sando_stop() {
	[ -n "${SANDOD_PID:-}" ] || return 0
	kill -TERM "$SANDOD_PID" 2>/dev/null || true
	STOP_STATUS=0
	wait "$SANDOD_PID" || STOP_STATUS=$?
	SANDOD_PID=
	# an ASan build reports leaks and errors at exit: they fail the test
	if grep -E 'ERROR: (LeakSanitizer|AddressSanitizer)|runtime error:' "$WS/sandod.log" >&2; then
		return 1
	fi
}

# The daemon is alive, answers /healthz and its log shows no crash.
sando_healthy() {
	kill -0 "$SANDOD_PID"
	run curl -sS -m 5 "$URL/healthz"
	[ "$status" -eq 0 ]
	[ "$output" = '{"status":"ok"}' ]
	! grep -E 'AddressSanitizer|runtime error|LeakSanitizer|sandod fatal:' "$WS/sandod.log"
}

# curl with status code: sets status (curl's), CODE and BODY.
http() {
	local out
	out=$(curl -sS -m 10 -o "$BATS_TEST_TMPDIR/body" -w '%{http_code}' "$@")
	CODE=$out
	BODY=$(cat "$BATS_TEST_TMPDIR/body" 2>/dev/null)
}

sando_teardown() {
	sando_stop
}

# --- builds -----------------------------------------------------------------

# A daemon config for a tiny app: build.sh writes out/app; VERSION holds the
# version; static/ is a required content row, docs/ an optional one.  $1 adds
# daemon.toml lines, $2 replaces the tiers.
sando_config_build() {
	sando_config "${2:-}"
	cat >>"$WS/daemon.toml" <<EOT
bin_names = ["app"]
release_contents = [
  { src = "static", dst = "static", required = true },
  { src = "docs", dst = "docs", required = false },
]
${1:-}
[build]
dir = "."
command = ["sh", "build.sh"]
artifact_dir = "out"
version_from = "VERSION"
timeout_s = ${BUILD_TIMEOUT:-60}
EOT
}

# Create the app's working repository in $WS/app with build.sh body $1.
sando_app() {
	local app="$WS/app"
	rm -rf "$app"
	mkdir -p "$app/static/css"
	git init -q -b main "$app"
	printf '%s\n' "${VERSION:-1.0.0}" >"$app/VERSION"
	echo '<h1>app</h1>' >"$app/static/index.html"
	echo 'body{}' >"$app/static/css/site.css"
	cat >"$app/build.sh" <<EOT
set -e
mkdir -p out
printf '#!/bin/sh\necho app\n' >out/app
${1:-}
EOT
	sando_commit "initial"
}

sando_commit() {
	git -C "$WS/app" add -A
	git -C "$WS/app" -c user.email=t@example.com -c user.name=t commit -q -m "$1"
	git -C "$WS/app" rev-parse HEAD
}

# Push the app's main branch (or the refs given) to the daemon's bare repository.
sando_push() {
	[ $# -gt 0 ] || set -- main
	git -C "$WS/app" push -q "$WS/repo.git" "$@" 2>&1
}

# Wait until build $1 is no longer running; prints its JSON.
wait_build() {
	local i out
	for i in $(seq 1 600); do
		out=$(curl -sS "$URL/builds/$1")
		case "$(echo "$out" | jq -r .status 2>/dev/null)" in
		running | null | "") sleep 0.05 ;;
		*) echo "$out"; return 0 ;;
		esac
	done
	echo "build $1 still running: $out" >&2
	return 1
}

# Count the processes whose command line contains $1 (use a unique argv,
# like "sleep 3601": a comment in a script is not on any command line).
procs_matching() {
	pgrep -f -c -- "$1" || true
}

# --- the demo app and gates ---------------------------------------------------

# A daemon config that builds examples/demo-app (as tools/demo.sh does); $1
# adds daemon.toml lines, $2 gives the tiers (TOML text, may hold [backup]).
sando_config_demo() {
	sando_config "${2:-}"
	cat >>"$WS/daemon.toml" <<EOT
bin_names = ["demo-app"]
release_contents = [
  { src = "static", dst = "static", required = true },
  { src = "migrations", dst = "migrations", required = true },
]
${1:-}
[build]
dir = "."
command = ["make"]
artifact_dir = "."
version_from = "VERSION"
timeout_s = 300
EOT
}

# The demo app's sources as the working repository $WS/app.
sando_demo_app() {
	rm -rf "$WS/app"
	cp -r "$SANDO_TOP/examples/demo-app" "$WS/app"
	rm -rf "$WS/app/build" "$WS/app/demo-app"
	git init -q -b main "$WS/app"
	sando_commit "demo app" >/dev/null
}

# Wait until tier $1 has $3 finished gate runs for version $2 and none
# running; prints the runs (JSON array, newest first).
wait_gates() {
	local i out
	for i in $(seq 1 1200); do
		out=$(curl -sS "$URL/gate-runs?tier=$1&version=$2")
		if [ "$(echo "$out" | jq '[.[] | select(.status != null)] | length')" -ge "$3" ] &&
			[ "$(echo "$out" | jq '[.[] | select(.status == null)] | length')" = 0 ]; then
			echo "$out"
			return 0
		fi
		sleep 0.1
	done
	echo "gates of $2 on $1 not done: $out" >&2
	return 1
}

# The outcome of gate $3 in runs JSON $1... : jq over wait_gates' output.
run_of() { # runs-json gate-name
	echo "$1" | jq -c --arg g "$2" '[.[] | select(.gate == $g)][0]'
}

# --- promotes -----------------------------------------------------------------

# A health stub whose status the nodes' restart script sets: a node named in
# $WS/fail-<node> makes it answer 503, any other 200.
start_stub() {
	echo 200 >"$WS/health.status"
	# no inherited output descriptors: a stub left behind must not hold bats up
	python3 "$BATS_TEST_DIRNAME/healthstub.py" "$WS/health.status" "$WS/stub.port" \
		</dev/null >/dev/null 2>&1 3>&- &
	STUB_PID=$!
	export STUB_PID
	for i in $(seq 100); do [ -s "$WS/stub.port" ] && break; sleep 0.05; done
	STUB_URL="http://127.0.0.1:$(cat "$WS/stub.port")/healthz"
	cat >"$WS/restart.sh" <<'EOT'
#!/bin/sh
# restart.sh (sandod sets SANDO_NODE, SANDO_NODE_ROOT, SANDO_VERSION): note
# what current points at, then set the health stub
ws=$(dirname "$0")
echo "$SANDO_NODE $(readlink "$SANDO_NODE_ROOT/current") $SANDO_VERSION" >>"$ws/restarts.log"
# a test that kills sandod during a restart makes the restart hang
[ -e "$ws/slow-restart" ] && exec sleep 3621
if [ -e "$ws/fail-$SANDO_NODE" ]; then echo 503; else echo 200; fi >"$ws/health.status"
EOT
	chmod +x "$WS/restart.sh"
}

promote() { # tier [json]
	http -X POST -H 'Content-Type: application/json' -d "${2:-{\}}" "$URL/promote/$1"
}

# Wait for promote $1 to finish; prints its JSON (with deploys).
wait_promote() {
	local i out
	for i in $(seq 1 600); do
		out=$(curl -sS "$URL/promotes/$1")
		case "$(echo "$out" | jq -r .status)" in
		null | "") sleep 0.05 ;;
		*) echo "$out"; return 0 ;;
		esac
	done
	echo "promote $1 still running: $out" >&2
	return 1
}

build_version() { # version: commit VERSION and build it, wait until the first tier has it
	echo "$1" >"$WS/app/VERSION"
	git -C "$WS/app" diff --quiet || sando_commit "v$1" >/dev/null
	sando_push
	for i in $(seq 300); do
		[ "$(curl -s "$URL/state" | jq -r '.tiers[0].current_version')" = "$1" ] && return 0
		sleep 0.1
	done
	curl -s "$URL/builds" >&2
	return 1
}


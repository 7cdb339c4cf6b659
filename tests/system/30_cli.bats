#!/usr/bin/env bats
# The sando CLI against a real daemon (the demo app, local nodes, a health
# stub): state, rebuild, builds, versions, deploys, logs (-f), confirm,
# promote (waiting, refused with reasons), rollback, freeze/unfreeze, --json;
# usage errors (exit 2), a daemon that is down or answers garbage (exit 1,
# one line), colours only on a terminal and never with NO_COLOR.

load lib
bats_require_minimum_version 1.5.0

SANDO="$(dirname "$SANDOD")/../client/sando"

teardown() {
	[ -z "${STUB_PID:-}" ] || kill "$STUB_PID" 2>/dev/null || true
	sando_teardown
	[ -z "${JUNK_PID:-}" ] || kill "$JUNK_PID" 2>/dev/null || true
}

V=0.1.0
V2=0.2.0

# sando with the test's daemon; run it with bats' run to get status/output.
s() { "$SANDO" --daemon "$URL" "$@"; }

node() {
	printf '[[tier.node]]\nname = "%s"\nssh_target = "local"\nrelease_root = "%s/nodes/%s"\n' "$1" "$WS" "$1"
}

# build (boot_smoke, manual_confirm) -> staging (s-1, s-2; burn_in 1 h) -> prod (prod-1)
start_cli_demo() {
	sando_ws
	start_stub
	local tiers
	tiers=$(printf '[[tier]]\nname = "build"\ngates = [ { kind = "boot_smoke", seconds = %s }, { kind = "manual_confirm" } ]\n' "${SMOKE_S:-1}"
		printf '[[tier]]\nname = "staging"\nhealth_url = "%s"\nrestart = ["%s/restart.sh"]\ngates = [ { kind = "burn_in", hours = 1 } ]\n' "$STUB_URL" "$WS"
		node s-1; node s-2
		printf '[[tier]]\nname = "prod"\nhealth_url = "%s"\nrestart = ["%s/restart.sh"]\n' "$STUB_URL" "$WS"
		node prod-1)
	sando_config_demo 'health_timeout_s = 2' "$tiers"
	sando_start
	sando_demo_app
}

no_sanitizer_reports() {
	! grep -E 'AddressSanitizer|LeakSanitizer|runtime error:' <<<"$output"
}

@test "help, command help, man page; usage errors exit 2 with the usage on stderr" {
	run "$SANDO" --help
	[ "$status" -eq 0 ]
	for c in state rebuild promote rollback confirm freeze unfreeze backup logs builds deploys versions events; do
		grep -q "^  $c " <<<"$output"
	done
	run "$SANDO" promote --help
	[ "$status" -eq 0 ]
	grep -q '^usage: sando \[--daemon URL\] promote TIER .*--no-wait' <<<"$output"
	grep -q -- '--reset-burn-in' <<<"$output"
	run "$SANDO" --man
	[ "$status" -eq 0 ]
	[ "${lines[0]%% *}" = .TH ]
	for c in state rebuild promote rollback confirm freeze unfreeze backup logs builds deploys versions events; do
		grep -q "^\\\\fB$c\\\\fR" <<<"$output"
	done
	# the build generated the page from the same table
	cmp <("$SANDO" --man) "$(dirname "$SANDO")/sando.1"
	groff -man -Tutf8 -ww -z "$(dirname "$SANDO")/sando.1"
	# usage errors: exit 2, the message and the usage on stderr, nothing on stdout
	for args in "bogus" "state --bogus" "promote" "promote a b" "logs 0.1.0" "state extra" "freeze --reason" "deploys --tier="; do
		run --separate-stderr "$SANDO" --daemon http://127.0.0.1:9 $args
		[ "$status" -eq 2 ]
		[ -z "$output" ]
		grep -q '^usage: sando' <<<"$stderr"
	done
	run --separate-stderr "$SANDO"
	[ "$status" -eq 2 ]
	run --separate-stderr "$SANDO" --nope state
	[ "$status" -eq 2 ]
}

@test "a daemon that is down: one line naming the address, exit 1" {
	port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
	for cmd in state builds "promote staging" "logs 0.1.0 build -f" "freeze"; do
		run --separate-stderr "$SANDO" --daemon "http://127.0.0.1:$port" $cmd
		[ "$status" -eq 1 ]
		[ -z "$output" ]
		[ "$(wc -l <<<"$stderr")" -eq 1 ]
		grep -q "cannot reach the daemon at http://127.0.0.1:$port: connection refused" <<<"$stderr"
	done
	# $SANDO_DAEMON is used without --daemon; --daemon wins over it
	SANDO_DAEMON="http://127.0.0.1:$port" run --separate-stderr "$SANDO" state
	[ "$status" -eq 1 ]
	grep -q "127.0.0.1:$port" <<<"$stderr"
	SANDO_DAEMON=http://127.0.0.1:1 run --separate-stderr "$SANDO" --daemon "http://127.0.0.1:$port" state
	grep -q "127.0.0.1:$port" <<<"$stderr"
	run --separate-stderr "$SANDO" --daemon "https://127.0.0.1:$port" state
	[ "$status" -eq 2 ]
}

@test "a daemon answering garbage: one clear line, exit 1" {
	sando_ws
	python3 -c '
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", 0)); s.listen(16)
open(sys.argv[1], "w").write(str(s.getsockname()[1]))
while True:
    c, _ = s.accept(); c.recv(65536)
    c.sendall(b"HTTP/1.0 200 OK\r\n\r\nnot json"); c.close()
' "$WS/junk.port" &
	JUNK_PID=$!
	for i in $(seq 100); do [ -s "$WS/junk.port" ] && break; sleep 0.05; done
	junk="http://127.0.0.1:$(cat "$WS/junk.port")"
	for cmd in state "state --json" versions "promote staging" "rollback staging" "confirm build"; do
		run --separate-stderr "$SANDO" --daemon "$junk" $cmd
		[ "$status" -eq 1 ]
		[ -z "$output" ]
		[ "$(wc -l <<<"$stderr")" -eq 1 ]
		grep -q "the daemon at $junk answered garbage (HTTP 200, not JSON)" <<<"$stderr"
	done
}

@test "state, rebuild, builds, versions, logs and logs -f" {
	SMOKE_S=4 start_cli_demo
	build_version $V
	run --separate-stderr s state
	[ "$status" -eq 0 ]
	no_sanitizer_reports
	[ "${lines[0]}" = "TIER     CURRENT  PREVIOUS  BURN-IN SINCE         FROZEN  NODES" ]
	grep -Eq "^build +$V +- +20[0-9-]+T[0-9:]+Z +no +-$" <<<"$output"
	grep -Eq '^staging +- +- +- +no +s-1=- s-2=-$' <<<"$output"
	grep -Eq "^build +boot_smoke +$V +passed +stayed up 4(\.[0-9])? s$" <<<"$output"
	grep -Eq "^build +manual_confirm +$V +blocked +awaiting confirmation$" <<<"$output"
	grep -Eq "^staging +burn_in +$V \(pending\) +blocked +burn-in clock not started$" <<<"$output"
	# piped: no escape codes, with or without NO_COLOR
	! grep -q $'\033' <<<"$output"
	run s state --json
	[ "$status" -eq 0 ]
	[ "$output" = "$(curl -s "$URL/state")" ]
	# builds and versions
	run s builds
	[ "$status" -eq 0 ]
	grep -Eq "^1 +ok +$V +[0-9a-f]{12} " <<<"$output"
	run s versions
	grep -Eq "^$V +[0-9a-f]{12} +1 +20" <<<"$output"
	run s versions --json
	[ "$(jq -r '.[0].version' <<<"$output")" = $V ]
	# logs of the build and of a gate, as the daemon serves them
	run s logs $V build
	[ "$status" -eq 0 ]
	[ "$output" = "$(curl -s "$URL/logs/$V/build")" ]
	grep -q "staged version '$V'" <<<"$output"
	run s logs $V boot_smoke --tier build
	[ "$output" = "$(curl -s "$URL/logs/$V/boot_smoke?tier=build")" ]
	grep -q "passed: stayed up" <<<"$output"
	run --separate-stderr s logs $V nope
	[ "$status" -eq 1 ]
	[ "$(wc -l <<<"$stderr")" -eq 1 ]
	# --tail: only the log's end, as the daemon serves it; a bad value is usage
	run s logs $V build --tail 200
	[ "$status" -eq 0 ]
	[ "$output" = "$(curl -s "$URL/logs/$V/build?tail=200")" ]
	[ "${#output}" -le 200 ]
	[ "${#output}" -gt 0 ]
	grep -q "staged version '$V'" <<<"$output"
	run --separate-stderr s logs $V build --tail 5MiB
	[ "$status" -eq 2 ]
	grep -q "bad --tail" <<<"$stderr"
	# rebuild: a new version; -f waits for the running gate's log to end
	echo $V2 >"$WS/app/VERSION"
	sando_commit v2 >/dev/null
	git -C "$WS/app" push -q "$WS/repo.git" main:refs/heads/other 2>&1
	git -C "$WS/repo.git" update-ref refs/heads/main refs/heads/other
	run s rebuild --sha "$(git -C "$WS/app" rev-parse HEAD)"
	[ "$status" -eq 0 ]
	grep -Eq '^build 2 started for [0-9a-f]{12}$' <<<"$output"
	for i in $(seq 600); do
		[ "$(curl -s "$URL/gate-runs?tier=build&version=$V2" | jq '[.[] | select(.gate == "boot_smoke" and .status == null)] | length')" = 1 ] && break
		sleep 0.05
	done
	s logs -f $V2 boot_smoke --tier build >"$WS/follow.out" &
	follower=$!
	# printed as it arrives: the start is there while the gate still runs
	for i in $(seq 100); do grep -q "starting '" "$WS/follow.out" && break; sleep 0.05; done
	grep -q "starting '" "$WS/follow.out"
	[ "$(curl -s "$URL/gate-runs?tier=build&version=$V2" | jq '[.[] | select(.gate == "boot_smoke" and .status == null)] | length')" = 1 ]
	wait "$follower"
	grep -q "gate 'boot_smoke' passed: stayed up" "$WS/follow.out"
	run --separate-stderr s rebuild --sha zz
	[ "$status" -eq 1 ]
	[ "$stderr" = "sando rebuild: 'sha' must be 4 to 40 hexadecimal digits" ]
	run s rebuild --json
	[ "$(jq -r .build_id <<<"$output")" = 3 ]
	wait_build 3 >/dev/null
	sando_healthy
}

@test "confirm, a refused promote (422 reasons), promote waiting, freeze, rollback, deploys" {
	start_cli_demo
	build_version $V
	# 422: the manual confirmation is missing
	run --separate-stderr s promote staging
	[ "$status" -eq 1 ]
	[ -z "$output" ]
	[ "${stderr_lines[0]}" = "sando promote: gates of the predecessor tier have not passed for this version" ]
	grep -Eq '^  build +manual_confirm +blocked +awaiting confirmation$' <<<"$stderr"
	run --separate-stderr s promote nope
	[ "$status" -eq 1 ]
	[ "$stderr" = "sando promote: no tier named 'nope'" ]
	run s confirm build
	[ "$status" -eq 0 ]
	grep -Eq "^$V on build: manual_confirm passed: confirmed at 20" <<<"$output"
	# a global freeze refuses the promote, with the reason
	run s freeze --reason "release train"
	[ "$status" -eq 0 ]
	[ "$output" = "froze all promotes (release train)" ]
	run --separate-stderr s promote staging
	[ "$status" -eq 1 ]
	grep -q "frozen: release train" <<<"$stderr"
	run s unfreeze --json
	[ "$(jq -r .frozen <<<"$output")" = false ]
	# promote and wait: one line per node, then the outcome
	run s promote staging
	[ "$status" -eq 0 ]
	no_sanitizer_reports
	[ "${lines[0]}" = "promote 1: $V to staging" ]
	grep -Eq '^  s-1 +ok$' <<<"$output"
	grep -Eq '^  s-2 +ok$' <<<"$output"
	[ "${lines[-1]}" = "promote 1 ok: staging is on $V" ]
	! grep -q $'\033' <<<"$output"
	[ "$(readlink "$WS/nodes/s-2/current")" = "releases/$V" ]
	# staging's burn-in blocks prod: listed with its outcome; --hotfix waives it
	run --separate-stderr s promote prod
	[ "$status" -eq 1 ]
	grep -Eq '^  staging +burn_in +blocked +burn-in: 1 h left$' <<<"$stderr"
	run s freeze prod
	[ "$output" = "froze tier prod" ]
	run --separate-stderr s promote prod --hotfix
	[ "$status" -eq 1 ]
	grep -q "promotes to 'prod' are frozen" <<<"$stderr"
	run s unfreeze prod
	[ "$output" = "unfroze tier prod" ]
	run s promote prod --hotfix --json
	[ "$status" -eq 0 ]
	[ "$(jq -r .status <<<"$output")" = ok ]
	[ "$(jq -r '.deploys[0].node' <<<"$output")" = prod-1 ]
	# a second version; a failing node: exit 1, the node's typed failure, the revert
	build_version $V2
	s confirm build >/dev/null
	touch "$WS/fail-s-2"
	run s promote staging
	[ "$status" -eq 1 ]
	grep -Eq '^  s-1 +ok$' <<<"$output"
	grep -Eq '^  s-2 +failed +health_failed status=503' <<<"$output"
	grep -Eq '^  s-1 +reverted$' <<<"$output"
	grep -Eq '^promote 3 failed: ' <<<"$output"
	rm "$WS/fail-s-2"
	run s promote staging --no-wait
	[ "$status" -eq 0 ]
	[ "$output" = "promote 4: $V2 to staging started" ]
	wait_promote 4 >/dev/null
	# rollback waits the same way
	run s rollback staging
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "rollback 5: $V to staging" ]
	[ "${lines[-1]}" = "rollback 5 ok: staging is on $V" ]
	[ "$(readlink "$WS/nodes/s-1/current")" = "releases/$V" ]
	run s rollback prod --no-wait --json
	[ "$status" -eq 1 ] # prod has no previous version
	# deploys, filtered
	run s deploys --tier staging --version $V2
	[ "$status" -eq 0 ]
	grep -Eq "^[0-9]+ +promote 3 +staging +s-2 +$V2 +[^ ]+ +failed +20[^ ]+ +health_failed status=503" <<<"$output"
	! grep -q " rollback " <<<"$output"
	run s deploys --tier staging --version $V
	[ "$(grep -c " rollback 5 " <<<"$output")" = 2 ]
	run s deploys --tier prod --json
	[ "$(jq length <<<"$output")" = 1 ]
	run s deploys --version 9.9.9
	[ "$output" = "(none)" ]
	run s state
	grep -Eq "^staging +$V +$V2 +" <<<"$output"
	sando_healthy
}

@test "colours only on a terminal, never with NO_COLOR set" {
	start_cli_demo
	build_version $V
	# a pseudo-terminal (script(1)): colours, outcome-coloured gates
	run script -qec "'$SANDO' --daemon '$URL' state" /dev/null
	[ "$status" -eq 0 ]
	grep -q $'\033\[32mpassed' <<<"$output"
	grep -q $'\033\[33mblocked' <<<"$output"
	NO_COLOR=1 run script -qec "'$SANDO' --daemon '$URL' state" /dev/null
	[ "$status" -eq 0 ]
	grep -q passed <<<"$output"
	! grep -q $'\033' <<<"$output"
	# an empty NO_COLOR does not count
	NO_COLOR= run script -qec "'$SANDO' --daemon '$URL' state" /dev/null
	grep -q $'\033\[32m' <<<"$output"
	# piped: never
	run s state
	! grep -q $'\033' <<<"$output"
}

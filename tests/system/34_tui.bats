#!/usr/bin/env bats
# The TUI ('sando' with no command on a terminal), driven under tmux on a
# private server socket: tiers, versions and gate outcomes on screen, the
# selection, promote, rollback and confirm with their y/N prompts, backup
# fetch, the event history at start, the log pane (tail, follow), help,
# resizing, the daemon going away and coming back, quitting; idle CPU and RSS
# printed.

load lib

SANDO="${SANDO:-$(dirname "$SANDOD")/../client/sando}"
V=0.1.0
V2=0.2.0

teardown() {
	[ -z "${TM:-}" ] || tmux -L "$TM" kill-server 2>/dev/null || true
	[ -z "${STUB_PID:-}" ] || kill "$STUB_PID" 2>/dev/null || true
	sando_teardown
}

node() {
	printf '[[tier.node]]\nname = "%s"\nssh_target = "local"\nrelease_root = "%s/nodes/%s"\n' "$1" "$WS" "$1"
}

# build (a burn_in gate that blocks, a command gate that passes) -> staging -> prod
tiers() {
	printf '[[tier]]\nname = "build"\n'
	printf 'gates = [ { kind = "command", name = "unit", run = ["sh", "-c", "echo unit tests ran; exit 0"] } ]\n'
	printf '[[tier]]\nname = "staging"\nhealth_url = "%s"\nrestart = ["%s/restart.sh"]\n' "$STUB_URL" "$WS"
	printf 'gates = [ { kind = "burn_in", hours = 48 } ]\n'
	node s-1
	printf '[[tier]]\nname = "prod"\n'
	node prod-1
}

start_demo() {
	sando_ws
	start_stub
	sando_config_demo 'health_timeout_s = 2' "$(tiers)"
	sando_start
	# a fixed port, so a restarted daemon is found at the same URL
	sed -i "s#^listen = .*#listen = \"127.0.0.1:$PORT\"#" "$WS/daemon.toml"
	sando_demo_app
}

screen() {
	tmux -L "$TM" capture-pane -p -t tui
}

# Wait until the screen matches the extended regex $1 (timeout $2 s, default 15).
wait_screen() {
	local _
	for _ in $(seq 1 $((${2:-15} * 10))); do
		screen 2>/dev/null | grep -Eq -- "$1" && return 0
		sleep 0.1
	done
	echo "screen never showed '$1':" >&2
	screen >&2 || true
	return 1
}

keys() {
	tmux -L "$TM" send-keys -t tui "$@"
}

start_tui() { # [columns rows]
	TM="sando-tui-$$-$BATS_TEST_NUMBER"
	export TMUX_TMPDIR="$BATS_TEST_TMPDIR" # the server's socket goes with the test
	tmux -L "$TM" -f /dev/null new-session -d -s tui -x "${1:-80}" -y "${2:-24}" \
		"TERM=screen '$SANDO' --daemon '$URL' 2>'$WS/tui.err'; echo \$? >'$WS/tui.rc'; sleep 30"
	wait_screen 'connected'
	TUI_PID=$(pgrep -f -n -- "$SANDO --daemon $URL")
}

# Wait for the TUI's program to end; it must have exited 0.
wait_exit() {
	local _
	for _ in $(seq 1 50); do
		[ -s "$WS/tui.rc" ] && break
		sleep 0.1
	done
	[ "$(cat "$WS/tui.rc")" = 0 ]
}

# The client is a sanitizer build (whose RSS says nothing about ours).
asan() {
	ldd "$SANDO" 2>/dev/null | grep -q 'libasan'
}

# CPU ticks (utime + stime) of process $1.
ticks() {
	awk '{print $14 + $15}' "/proc/$1/stat"
}

@test "tui: tiers, outcomes, selection, promote, rollback, help, resize, reconnect, quit" {
	command -v tmux >/dev/null || skip "tmux is not installed"
	start_demo
	build_version $V
	wait_gates build $V 1 >/dev/null
	start_tui
	# the event pane starts with the recent history (?last=)
	wait_screen "^[0-9:]{8} gate_done build $V unit"
	# tiers, versions and gate outcome summaries
	wait_screen "> build +$V"
	wait_screen 'unit: '
	wait_screen 'staging +-'
	wait_screen 'prod +-'
	# j moves the selection
	keys j
	wait_screen '> staging'
	# p asks, y promotes; the daemon has the promote, the screen its result
	keys p
	wait_screen "promote $V to staging\\? .*y/N"
	keys y
	wait_screen "promote [0-9]+ ok: staging is on $V" 60
	[ "$(curl -s "$URL/promotes" | jq -r '.[0].tier + " " + .[0].version + " " + .[0].status')" = "staging $V ok" ]
	wait_screen "> staging +$V"
	wait_screen 'burn-in: 4[78][.0-9]* h left'
	# a second version, promoted, then rolled back with R + y
	build_version $V2
	keys p
	wait_screen "promote $V2 to staging\\?"
	keys y
	wait_screen "promote [0-9]+ ok: staging is on $V2" 60
	keys R
	wait_screen "rollback staging to $V\\?"
	keys n
	wait_screen 'cancelled'
	[ "$(curl -s "$URL/state" | jq -r '.tiers[1].current_version')" = $V2 ]
	keys R
	wait_screen "rollback staging to $V\\?"
	keys y
	wait_screen "rollback [0-9]+ ok: staging is on $V" 60
	[ "$(curl -s "$URL/state" | jq -r '.tiers[1].current_version')" = $V ]
	# promote from prod is refused with the reasons: staging's burn-in
	keys j p
	wait_screen "promote $V to prod\\?"
	keys y
	wait_screen 'promote refused, gates not passed: staging/burn_in burn-in: 4'
	# help
	keys '?'
	wait_screen 'any key closes this help'
	keys x
	run screen
	[[ "$output" != *"any key closes this help"* ]]
	# the log pager
	keys k k l
	wait_screen 'lines [0-9]+-[0-9]+ of [0-9]+'
	keys q
	wait_screen 'q:quit p:promote'
	# idle: CPU ticks and RSS over 5 s
	t0=$(ticks "$TUI_PID")
	sleep 5
	t1=$(ticks "$TUI_PID")
	rss=$(awk '/^VmRSS/ {print $2}' "/proc/$TUI_PID/status")
	echo "# tui idle: $((t1 - t0)) CPU ticks in 5 s ($(getconf CLK_TCK)/s), RSS $rss kB" >&3
	asan || [ "$rss" -lt 20480 ]
	# resize small and back: still draws
	tmux -L "$TM" resize-window -t tui -x 40 -y 10
	wait_screen '^connected'
	screen | grep -q 'build'
	tmux -L "$TM" resize-window -t tui -x 80 -y 24
	wait_screen 'q:quit p:promote'
	# the daemon goes away: "disconnected"; it comes back: recovered
	sando_stop
	wait_screen '^disconnected'
	kill -0 "$TUI_PID"
	sando_start
	wait_screen '^connected' 20
	wait_screen "staging +$V"
	# q quits: the program exited 0 and the terminal was given back
	keys q
	wait_exit
	run kill -0 "$TUI_PID"
	[ "$status" -ne 0 ]
	run grep -E 'AddressSanitizer|runtime error|LeakSanitizer' "$WS/tui.err"
	[ "$status" -ne 0 ]
}

# A first tier "host" that needs the operator's confirmation, and a file://
# backup source.
confirm_backup_config() {
	mkdir -p "$WS/src"
	head -c 100000 /dev/urandom >"$WS/src/db.dump"
	LOCAL="$WS/backups/backup.sql"
	sando_config_build "" "$(printf '[backup]\nsource = "file://%s/src/db.dump"\nlocal_path = "%s"\n[[tier]]\nname = "host"\ngates = [ { kind = "manual_confirm" } ]\n[[tier]]\nname = "staging"\n' "$WS" "$LOCAL")"
}

@test "tui: c confirms the tier's version, b fetches the backup" {
	command -v tmux >/dev/null || skip "tmux is not installed"
	sando_ws
	confirm_backup_config
	sando_start
	sando_app
	sando_push
	[ "$(wait_build 1 | jq -r .status)" = ok ]
	start_tui
	wait_screen '> host +1.0.0'
	[ "$(curl -s "$URL/state" | jq -r '.tiers[0].gates[0].outcome.reason.kind')" = awaiting_operator_confirmation ]
	# c asks; n cancels, and nothing is confirmed
	keys c
	wait_screen 'confirm 1.0.0 on host \(a passing manual_confirm\)\? y/N'
	keys n
	wait_screen 'cancelled'
	[ "$(curl -s "$URL/state" | jq -r '.tiers[0].gates[0].outcome.reason.kind')" = awaiting_operator_confirmation ]
	# c + y: a passing manual_confirm run for host's version, by the API
	keys c
	wait_screen 'confirm 1.0.0 on host'
	keys y
	wait_screen 'confirm: done \(HTTP 200\)'
	o=$(curl -s "$URL/state" | jq -c '.tiers[0].gates[0].outcome')
	[ "$(echo "$o" | jq -r .status)" = passed ]
	[ "$(echo "$o" | jq -r .note.kind)" = operator_confirmed ]
	[ "$(curl -s "$URL/gate-runs?tier=host&version=1.0.0" | jq -r '[.[] | select(.gate == "manual_confirm")][0].status')" = passed ]
	wait_screen '^[0-9:]{8} manual_confirm host 1.0.0'
	# b: the backup fetched from its source, the event in the pane
	keys b
	wait_screen 'backup fetch 1 started'
	wait_screen '^[0-9:]{8} backup_fetched ok'
	[ "$(curl -s "$URL/backups/1" | jq -r .status)" = ok ]
	cmp "$WS/src/db.dump" "$LOCAL"
	[ "$(sqlite3 "$WS/state/sando.db" "SELECT json_extract(body_json, '$.status') FROM events WHERE kind = 'backup_fetched'")" = ok ]
	[ "$(sqlite3 "$WS/state/sando.db" "SELECT group_concat(action, ' ') FROM audit")" = "confirm backup_fetch" ]
	keys q
	wait_exit
	run grep -E 'AddressSanitizer|runtime error|LeakSanitizer' "$WS/tui.err"
	[ "$status" -ne 0 ]
}

@test "tui: a 10 MB log line is cut to the window, not a hang" {
	command -v tmux >/dev/null || skip "tmux is not installed"
	sando_ws
	start_stub
	# the line comes once the TUI follows the running gate (a finished run's
	# log is fetched from its tail, past the line's start)
	sando_config_demo '' "$(printf '[[tier]]\nname = "build"\ngates = [ { kind = "command", name = "huge", run = ["sh", "-c", "while [ ! -e %s/go ]; do sleep 0.1; done; head -c 10485760 /dev/zero | tr -c x x; echo; echo the end; exit 1"] } ]\n[[tier]]\nname = "staging"\n' "$WS")"
	sando_start
	sando_demo_app
	start_tui
	echo $V >"$WS/app/VERSION"
	git -C "$WS/app" diff --quiet || sando_commit "v$V" >/dev/null
	sando_push
	wait_screen 'log: build huge 0.1.0 \(running\)' 60
	touch "$WS/go"
	wait_gates build $V 1 >/dev/null
	wait_screen "build .*pending $V"
	wait_screen 'huge \(pending\): .*failed'
	wait_screen 'log: build huge 0.1.0 \(failed\), cut'
	wait_screen '^x{80}$'
	wait_screen '^the end$'
	keys l
	wait_screen 'only part of the log is kept'
	keys g j k G
	wait_screen '^x{80}$'
	keys q
	wait_screen 'q:quit p:promote'
	rss=$(awk '/^VmRSS/ {print $2}' "/proc/$TUI_PID/status")
	echo "# tui after a 10 MB log line: RSS $rss kB" >&3
	asan || [ "$rss" -lt 20480 ]
	keys q
	wait_exit
	run grep -E 'AddressSanitizer|runtime error|LeakSanitizer' "$WS/tui.err"
	[ "$status" -ne 0 ]
}

@test "tui: the log pane tails a running gate" {
	command -v tmux >/dev/null || skip "tmux is not installed"
	sando_ws
	start_stub
	# shellcheck disable=SC2016 # the gate's shell expands $i, not this one
	sando_config_demo '' "$(printf '[[tier]]\nname = "build"\ngates = [ { kind = "command", name = "slow", run = ["sh", "-c", "i=0; while [ $i -lt 30 ]; do echo tick $i; i=$((i+1)); sleep 0.2; done; exit 1"] } ]\n[[tier]]\nname = "staging"\n')"
	sando_start
	sando_demo_app
	start_tui
	wait_screen '> build'
	echo $V >"$WS/app/VERSION"
	git -C "$WS/app" diff --quiet || sando_commit "v$V" >/dev/null
	sando_push
	wait_screen 'log: build slow 0.1.0 \(running\)' 60
	wait_screen '^tick [0-9]+$'
	# another tier drops the followed log; back, it is followed again
	keys j
	wait_screen '> staging'
	keys k
	wait_screen '> build'
	wait_screen 'log: build slow 0.1.0 \(failed\)' 30
	wait_screen '^tick 29$'
	# the whole run's output, in order, once (each line on the screen once)
	[ "$(screen | grep -c '^tick 29$')" = 1 ]
	keys q
	wait_exit
	run grep -E 'AddressSanitizer|runtime error|LeakSanitizer' "$WS/tui.err"
	[ "$status" -ne 0 ]
}

@test "tui: starts at 40x10, Ctrl-C quits and gives the terminal back" {
	command -v tmux >/dev/null || skip "tmux is not installed"
	sando_config
	sando_start
	start_tui 40 10
	wait_screen '> host'
	keys '?'
	wait_screen 'keys'
	keys x C-c
	wait_exit
	run grep -E 'AddressSanitizer|runtime error|LeakSanitizer' "$WS/tui.err"
	[ "$status" -ne 0 ]
}

@test "sando without a command and not on a terminal prints the usage" {
	run "$SANDO"
	[ "$status" -eq 2 ]
	[[ "$output" == *"usage: sando"* ]]
}

#!/usr/bin/env bats
# POST /backup/fetch and GET /backups: file://, ssh:// (a real sshd on
# loopback), rsync:// (a real rsync daemon the test starts); the row, the
# event, the audit row, the SHA-256; failures (host key, unreachable, missing
# source, a transfer cut off, disk full) leave the previous backup
# byte-identical and no .partial; malformed sources are 400; one fetch at a
# time; shutdown interrupts a fetch.

load lib
load sshd

teardown() {
	sando_teardown
	[ -z "${RSYNCD_PID:-}" ] || kill "$RSYNCD_PID" 2>/dev/null || true
	[ -z "${HANG_PID:-}" ] || kill "$HANG_PID" 2>/dev/null || true
	sshd_stop
	[ -z "${TMPFS:-}" ] || umount "$TMPFS" 2>/dev/null || true
}

SANDO_CLI() { "$(dirname "$SANDOD")/../client/sando" --daemon "$URL" "$@"; }

# bk_config SOURCE [DAEMON-LINES]: a topology with [backup] (local_path
# $LOCAL, default $WS/backups/backup.sql) and one tier.
bk_config() {
	sando_ws
	LOCAL=${LOCAL:-$WS/backups/backup.sql}
	sando_config "$(printf '[backup]\nsource = "%s"\nlocal_path = "%s"\n[[tier]]\nname = "host"\n' "$1" "$LOCAL")"
	[ -z "${2:-}" ] || printf '%s\n' "$2" >>"$WS/daemon.toml"
}

fetch() {
	http -X POST "$URL/backup/fetch" "$@"
}

# Start a fetch, expect 202; BACKUP_ID is its id.
fetch_started() {
	fetch
	[ "$CODE" = 202 ] || { echo "POST /backup/fetch: $CODE $BODY" >&2; return 1; }
	BACKUP_ID=$(echo "$BODY" | jq -r .backup_id)
}

# Wait until backup $1 is finished; prints its row.
wait_backup() {
	local i out
	for i in $(seq 1 600); do
		out=$(curl -sS "$URL/backups/$1")
		case "$(echo "$out" | jq -r .status)" in
		null | "") sleep 0.05 ;;
		*) echo "$out"; return 0 ;;
		esac
	done
	echo "backup $1 still running: $out" >&2
	return 1
}

db() {
	sqlite3 "$WS/state/sando.db" "$1"
}

# The previous backup: a file at $LOCAL the failing fetch must not touch.
old_backup() {
	mkdir -p "$(dirname "$LOCAL")"
	head -c 100000 /dev/urandom >"$LOCAL"
	cp "$LOCAL" "$WS/old.copy"
}

# A failed fetch: the row says failed with an error matching $1, the event
# too, the old backup is byte-identical and no .partial is left.
expect_failed() {
	local row
	row=$(wait_backup "$BACKUP_ID")
	echo "$row"
	[ "$(echo "$row" | jq -r .status)" = failed ]
	echo "$row" | jq -r .error | grep -E -- "$1"
	[ "$(echo "$row" | jq -r .sha256)" = null ]
	[ "$(echo "$row" | jq -r .size_bytes)" = null ]
	cmp "$LOCAL" "$WS/old.copy"
	[ ! -e "$LOCAL.partial" ]
	[ "$(db "SELECT json_extract(body_json, '$.status') FROM events WHERE kind = 'backup_fetched' AND json_extract(body_json, '$.backup_id') = $BACKUP_ID")" = failed ]
	sando_healthy
}

# A successful fetch of $1 (a local copy of the source): row, file, event.
expect_ok() {
	local row sum size
	row=$(wait_backup "$BACKUP_ID")
	echo "$row"
	sum=$(sha256sum "$1" | cut -d' ' -f1)
	size=$(stat -c %s "$1")
	[ "$(echo "$row" | jq -r .status)" = ok ]
	[ "$(echo "$row" | jq -r .sha256)" = "$sum" ]
	[ "$(echo "$row" | jq -r .size_bytes)" = "$size" ]
	[ "$(echo "$row" | jq -r .error)" = null ]
	[ "$(echo "$row" | jq -r .local_path)" = "$LOCAL" ]
	cmp "$1" "$LOCAL"
	[ "$(sha256sum "$LOCAL" | cut -d' ' -f1)" = "$sum" ]
	[ ! -e "$LOCAL.partial" ]
	[ "$(stat -c %a "$LOCAL")" = 640 ]
	[ "$(db "SELECT json_extract(body_json, '$.sha256') || ' ' || json_extract(body_json, '$.size_bytes') || ' ' || json_extract(body_json, '$.status') FROM events WHERE kind = 'backup_fetched' AND json_extract(body_json, '$.backup_id') = $BACKUP_ID")" = "$sum $size ok" ]
}

@test "file:// fetch: the file, its SHA-256, the row, the event, the audit row, GET /backups" {
	sando_ws
	mkdir -p "$WS/src"
	head -c 3000000 /dev/urandom >"$WS/src/db.dump"
	bk_config "file://$WS/src/db.dump"
	sando_start
	fetch_started
	[ "$BACKUP_ID" = 1 ]
	expect_ok "$WS/src/db.dump"
	[ "$(db "SELECT actor || ' ' || action || ' ' || json_extract(detail_json, '$.backup_id') FROM audit")" = "local backup_fetch 1" ]
	[ "$(db "SELECT json_extract(body_json, '$.source') || ' ' || json_extract(body_json, '$.local_path') FROM events WHERE kind = 'backup_fetched'")" = "file://$WS/src/db.dump $LOCAL" ]
	[ -s "$WS/logs/backups/1.log" ] || [ -e "$WS/logs/backups/1.log" ]
	# a second fetch of a changed source replaces the file; newest first
	head -c 5000 /dev/urandom >"$WS/src/db.dump"
	fetch -H 'Content-Type: application/json' -d '{}'
	[ "$CODE" = 202 ]
	BACKUP_ID=$(echo "$BODY" | jq -r .backup_id)
	[ "$BACKUP_ID" = 2 ]
	expect_ok "$WS/src/db.dump"
	http "$URL/backups"
	[ "$CODE" = 200 ]
	[ "$(echo "$BODY" | jq -c '[.[] | .id]')" = '[2,1]' ]
	[ "$(echo "$BODY" | jq -r '.[1].size_bytes')" = 3000000 ]
	http "$URL/backups/99"
	[ "$CODE" = 404 ]
	[ "$(echo "$BODY" | jq -r .error.code)" = unknown_backup ]
	http "$URL/backups/x"
	[ "$CODE" = 400 ]
	sando_healthy
}

@test "file://: a missing source or a directory fails; the previous backup stays byte-identical" {
	bk_config "file://$BATS_TEST_TMPDIR/ws/no-such.sql"
	old_backup
	sando_start
	fetch_started
	expect_failed 'rsync exit status [0-9]+: .*No such file or directory'
	sando_stop
	mkdir -p "$WS/adir"
	bk_config "file://$WS/adir"
	sando_start
	fetch_started
	expect_failed 'not a regular file'
}

@test "sando backup fetch waits for the outcome; list; a failure and a refusal exit 1" {
	sando_ws
	mkdir -p "$WS/src"
	head -c 200000 /dev/urandom >"$WS/src/db.dump"
	bk_config "file://$WS/src/db.dump"
	sando_start
	run SANDO_CLI backup fetch
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "backup 1: fetch started" ]
	[ "${lines[1]}" = "backup 1: ok, 200000 bytes, sha256 $(sha256sum "$WS/src/db.dump" | cut -d' ' -f1), in $LOCAL" ]
	cmp "$WS/src/db.dump" "$LOCAL"
	run SANDO_CLI backup fetch --json
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | jq -r '.id, .status' | paste -sd' ')" = "2 ok" ]
	run SANDO_CLI backup fetch --no-wait --json
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | jq -r .backup_id)" = 3 ]
	wait_backup 3 >/dev/null
	run SANDO_CLI backup list
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == "ID"*"STATUS"*"BYTES"*"SHA256"* ]]
	[[ "${lines[1]}" == "3 "*"ok"*"200000"* ]]
	[ "${#lines[@]}" = 4 ]
	# a fetch that fails: exit 1, the daemon's error, the old backup kept
	rm "$WS/src/db.dump"
	run SANDO_CLI backup fetch
	[ "$status" -eq 1 ]
	[[ "${lines[1]}" == "backup 4: failed: "*"No such file or directory"* ]]
	[ -s "$LOCAL" ]
	# refused by the daemon (400 for a bad action is the client's: exit 2)
	run SANDO_CLI backup frobnicate
	[ "$status" -eq 2 ]
	sando_stop
	sando_config "$(printf '[[tier]]\nname = "host"\n')"
	sando_start
	run SANDO_CLI backup fetch
	[ "$status" -eq 1 ]
	[[ "$output" == *"has no [backup] source"* ]]
}

@test "ssh:// through a real sshd, host keys checked; a wrong known_hosts fails cleanly" {
	sshd_available || skip "no sshd (openssh-server)"
	sshd_start
	sando_ws
	mkdir -p "$WS/remote"
	head -c 1000000 /dev/urandom >"$WS/remote/latest.sql"
	bk_config "ssh://$SSH_USER@127.0.0.1:$SSHD_PORT$WS/remote/latest.sql" \
		"ssh_key = \"$SSH_KEY\"
ssh_known_hosts = \"$SSH_KNOWN_HOSTS\""
	sando_start
	fetch_started
	expect_ok "$WS/remote/latest.sql"
	sando_stop
	# another host key than the server's: refused, nothing touched
	ssh-keygen -q -t ed25519 -N '' -f "$WS/other_key"
	echo "[127.0.0.1]:$SSHD_PORT $(cut -d' ' -f1,2 "$WS/other_key.pub")" >"$WS/wrong_known_hosts"
	cp "$LOCAL" "$WS/old.copy"
	bk_config "ssh://$SSH_USER@127.0.0.1:$SSHD_PORT$WS/remote/latest.sql" \
		"ssh_key = \"$SSH_KEY\"
ssh_known_hosts = \"$WS/wrong_known_hosts\""
	sando_start
	fetch_started
	expect_failed 'exit status [0-9]+: .*(Host key verification failed|REMOTE HOST IDENTIFICATION HAS CHANGED)'
	# a missing remote file fails too
	sando_stop
	bk_config "ssh://$SSH_USER@127.0.0.1:$SSHD_PORT$WS/remote/gone.sql" \
		"ssh_key = \"$SSH_KEY\"
ssh_known_hosts = \"$SSH_KNOWN_HOSTS\""
	sando_start
	fetch_started
	expect_failed 'No such file or directory'
}

@test "unreachable hosts fail with the connection error; the previous backup stays" {
	port=$(sshd_free_port)
	bk_config "ssh://nobody@127.0.0.1:$port/var/backups/x.sql"
	old_backup
	sando_start
	fetch_started
	expect_failed 'rsync exit status [0-9]+: ssh: connect to host 127.0.0.1 port [0-9]+: Connection refused$'
	sando_stop
	bk_config "rsync://127.0.0.1:$port/mod/x.sql"
	sando_start
	fetch_started
	expect_failed 'Connection refused'
}

# Start an rsync daemon serving $WS/rsyncd/ as module "dumps" (user bk,
# password s3cret) on a free port: RSYNCD_PORT.
rsyncd_start() {
	local i
	mkdir -p "$WS/rsyncd"
	echo 'bk:s3cret' >"$WS/rsyncd.secrets"
	chmod 600 "$WS/rsyncd.secrets"
	cat >"$WS/rsyncd.conf" <<EOT
use chroot = no
uid = $(id -u)
gid = $(id -g)
log file = $WS/rsyncd.log
[dumps]
path = $WS/rsyncd
read only = yes
auth users = bk
secrets file = $WS/rsyncd.secrets
EOT
	RSYNCD_PORT=$(sshd_free_port)
	rsync --daemon --no-detach --config="$WS/rsyncd.conf" --port="$RSYNCD_PORT" \
		--address=127.0.0.1 &
	RSYNCD_PID=$!
	for i in $(seq 100); do
		(exec 3<>"/dev/tcp/127.0.0.1/$RSYNCD_PORT") 2>/dev/null && return 0
		sleep 0.05
	done
	return 1
}

@test "rsync:// from a real rsync daemon with a password that is never shown" {
	sando_ws
	rsyncd_start
	head -c 2000000 /dev/urandom >"$WS/rsyncd/db.sql"
	bk_config "rsync://bk:s3cret@127.0.0.1:$RSYNCD_PORT/dumps/db.sql"
	sando_start
	fetch_started
	expect_ok "$WS/rsyncd/db.sql"
	[ "$(curl -sS "$URL/backups/$BACKUP_ID" | jq -r .source)" = "rsync://bk:***@127.0.0.1:$RSYNCD_PORT/dumps/db.sql" ]
	# the password is in no row, event, audit detail, log or answer
	! sqlite3 "$WS/state/sando.db" .dump | grep -q s3cret
	! grep -rq s3cret "$WS/logs" "$WS/sandod.log"
	! curl -sS "$URL/backups" | grep -q s3cret
	# a wrong password fails
	sando_stop
	cp "$LOCAL" "$WS/old.copy"
	bk_config "rsync://bk:wrong@127.0.0.1:$RSYNCD_PORT/dumps/db.sql"
	sando_start
	fetch_started
	expect_failed 'auth failed|authentication'
	! curl -sS "$URL/backups" | grep -q wrong
}

@test "disk full: the fetch fails, the old backup is intact, no .partial is left" {
	sando_ws
	TMPFS=$WS/small
	mkdir -p "$TMPFS"
	mount -t tmpfs -o size=1m tmpfs "$TMPFS" 2>/dev/null || {
		TMPFS=
		skip "cannot mount a tmpfs here (not permitted)"
	}
	head -c 5000000 /dev/urandom >"$WS/big.sql"
	LOCAL=$TMPFS/backup.sql
	bk_config "file://$WS/big.sql"
	old_backup
	sando_start
	fetch_started
	expect_failed 'No space left on device'
	[ "$(ls -A "$TMPFS")" = backup.sql ]
}

# A TCP server on a free port that accepts and never answers (an rsync
# daemon that hangs): HANG_PORT, HANG_PID.
hang_start() {
	python3 -c '
import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(5)
open(sys.argv[1], "w").write(str(s.getsockname()[1]))
conns = []
while True:
    c, _ = s.accept(); conns.append(c)
' "$WS/hang.port" &
	HANG_PID=$!
	for i in $(seq 100); do [ -s "$WS/hang.port" ] && break; sleep 0.05; done
	HANG_PORT=$(cat "$WS/hang.port")
}

@test "one fetch at a time (409); a transfer cut off fails; shutdown interrupts a fetch" {
	sando_ws
	hang_start
	bk_config "rsync://127.0.0.1:$HANG_PORT/mod/db.sql"
	old_backup
	sando_start
	fetch_started
	sleep 0.3
	fetch
	[ "$CODE" = 409 ]
	[ "$(echo "$BODY" | jq -r .error.code)" = backup_running ]
	echo "$BODY" | jq -r .error.message | grep -q "backup fetch $BACKUP_ID is still running"
	[ "$(curl -sS "$URL/backups/$BACKUP_ID" | jq -r .status)" = null ]
	# the source goes away mid-transfer
	kill "$HANG_PID"
	wait "$HANG_PID" 2>/dev/null || true
	HANG_PID=
	expect_failed 'rsync exit status'
	# the next fetch may start; the daemon stopping interrupts it
	rm -f "$WS/hang.port"
	hang_start
	sando_stop
	bk_config "rsync://127.0.0.1:$HANG_PORT/mod/db.sql"
	sando_start
	fetch_started
	sleep 0.3
	[ "$(procs_matching "rsync://127.0.0.1:$HANG_PORT/mod/db.sql")" -ge 1 ]
	sando_stop
	[ "$(db "SELECT status FROM backups WHERE id = $BACKUP_ID")" = interrupted ]
	[ "$(procs_matching "rsync://127.0.0.1:$HANG_PORT/mod/db.sql")" = 0 ]
	cmp "$LOCAL" "$WS/old.copy"
	[ ! -e "$LOCAL.partial" ]
}

@test "malformed sources and unknown schemes are 400 (or refused at start-up); no [backup] is 409" {
	sando_ws
	# the topology's own check refuses what does not start with a known scheme
	for src in 'ftp://x/y' 'file://relative' '/plain/path'; do
		bk_config "$src"
		run "$SANDOD" --config "$WS/daemon.toml" --check-config
		[ "$status" = 2 ]
		echo "$output" | grep -q "sando.toml:[0-9]*:[0-9]*: 'source' must start with"
	done
	# the route parses the rest strictly
	for src in 'ssh://-oProxyCommand=x/y' 'ssh://u@h:99999/p' 'rsync://h/../etc' \
		'ssh://u@-h/p' 'ssh://u@h/-p' 'ssh://u@h/a%2e%2e/b' 'ssh://u@h/a;id' 'rsync://h/mod' \
		'file:///a/\u0007b' 'file:///a/../b' 'ssh://u:pw@h/p' 'ssh://h:0/x' 'ssh://h' \
		'rsync://[zz]/m/f' 'ssh://h/a b'; do
		bk_config "$src"
		sando_start
		fetch
		echo "$src: $CODE $BODY"
		[ "$CODE" = 400 ]
		[ "$(echo "$BODY" | jq -r .error.code)" = invalid_backup_source ]
		echo "$BODY" | jq -r .error.message | grep -q "sando.toml"
		sando_stop
	done
	[ "$(db "SELECT count(*) FROM backups")" = 0 ]
	[ "$(db "SELECT count(*) FROM audit WHERE action = 'backup_fetch'")" = 0 ]
	# a password in a refused source is not echoed
	bk_config 'rsync://u:hunter2@h/../x'
	sando_start
	fetch
	[ "$CODE" = 400 ]
	! echo "$BODY" | grep -q hunter2
	sando_stop
	sando_config
	sando_start
	fetch
	[ "$CODE" = 409 ]
	[ "$(echo "$BODY" | jq -r .error.code)" = no_backup_configured ]
	bk_config "file:///x/y.sql"
	sando_stop
	sando_start
	fetch -H 'Content-Type: application/json' -d '{"source": "file:///etc/shadow"}'
	[ "$CODE" = 400 ]
	[ "$(echo "$BODY" | jq -r .error.code)" = bad_request ]
	sando_healthy
}

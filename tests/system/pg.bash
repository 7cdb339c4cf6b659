# A throwaway PostgreSQL server for system tests (`load pg` in bats, or
# `. tests/system/pg.bash` in a plain bash): a fresh cluster in its own temp
# directory, trust authentication on loopback TCP only, a free port, no fsync.
#
#   pg_available    0 when PostgreSQL server binaries (initdb, pg_ctl) exist
#   pg_start        initdb + start + CREATE DATABASE scratch; sets and exports:
#     PG_BIN        the server binaries' directory (initdb, pg_ctl, postgres)
#     PG_DIR        the cluster's temp directory (data/, sock/, server.log)
#     PG_PORT       the server's port on 127.0.0.1
#     PG_URL        postgresql://OWNER@127.0.0.1:PORT/scratch, no password;
#                   OWNER is the superuser role ("nobody" when run as root)
#     PG_ADMIN_URL  the same server's maintenance database "postgres"
#     PG_PW_URL     postgresql://sando_pw:PASSWORD@127.0.0.1:PORT/scratch: a
#                   role that must authenticate with its password (SCRAM), for
#                   tests that check secrets are passed, and never shown
#     PG_PASSWORD   that role's password (it holds characters URLs encode);
#                   sando_pw owns the database scratch, so it may drop schemas
#                   there, except those the superuser (PG_URL) created: use one
#                   of the two URLs for a test's writes
#   pg_stop         stop the server (immediate) and remove PG_DIR; leaves no
#                   postgres process behind; harmless when nothing runs.  One
#                   server at a time: pg_stop (in teardown) before pg_start again
#   pg_pids         the postmaster's pid and its children's, one per line
#   pg_running PID.. those of the pids that still run (zombies do not count)
#
# initdb and pg_ctl refuse to run as root, and tests run as root in CI: then
# the server runs as "nobody" (setpriv, with a clean environment, from inside
# PG_DIR, which belongs to nobody; the superuser role is then "nobody").  Any
# other user runs it directly, and the superuser role is that user's name.
# Clients (psql, pg_dump, pg_restore) run as the caller, over TCP.

PG_PASSWORD='s3cret/p@ss word'
PG_PASSWORD_ENC='s3cret%2Fp%40ss%20word'

# The directory of initdb/pg_ctl/postgres: pg_config --bindir, else the newest
# /usr/lib/postgresql/*/bin; fails when there is none.
pg_bindir() {
	local d
	d=$(pg_config --bindir 2>/dev/null) || d=
	if [ -n "$d" ] && [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ]; then
		echo "$d"
		return 0
	fi
	for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
		if [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ]; then
			echo "$d"
			return 0
		fi
	done
	return 1
}

pg_available() {
	pg_bindir >/dev/null
}

# Run a server program as the cluster's owner, from inside PG_DIR.
pg_as_owner() {
	local env=(env -i PATH=/usr/bin:/bin LANG=C HOME="$PG_DIR")
	if [ "$(id -u)" -eq 0 ]; then
		(cd "$PG_DIR" && setpriv --reuid="$PG_OWNER" --regid="$PG_GROUP" --clear-groups -- \
			"${env[@]}" "$@")
	else
		(cd "$PG_DIR" && "${env[@]}" "$@")
	fi
}

# A TCP port on 127.0.0.1 that was free a moment ago (without python3, a
# random one: pg_ctl_start tries another when the server cannot bind it).
pg_free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' \
		2>/dev/null || echo $((20000 + RANDOM % 30000))
}

pg_initdb() {
	pg_as_owner "$PG_BIN/initdb" -D "$PG_DIR/data" --auth=trust --no-locale -E UTF8 \
		--no-sync >"$PG_DIR/initdb.log" 2>&1 || {
		echo "pg_start: initdb failed:" >&2
		cat "$PG_DIR/initdb.log" >&2
		return 1
	}
	# loopback TCP only: the password role first, trust for everyone else
	printf '%s\n' 'host all sando_pw 127.0.0.1/32 scram-sha-256' \
		'host all all 127.0.0.1/32 trust' >"$PG_DIR/data/pg_hba.conf"
	cat >>"$PG_DIR/data/postgresql.conf" <<EOT
listen_addresses = '127.0.0.1'
unix_socket_directories = '$PG_DIR/sock'
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 20
shared_buffers = 16MB
logging_collector = off
EOT
}

# Start the server on a free port; retried when another process took the port.
pg_ctl_start() {
	local try
	for try in 1 2 3 4 5; do
		PG_PORT=$(pg_free_port) || return 1
		sed -i '/^port = /d' "$PG_DIR/data/postgresql.conf"
		echo "port = $PG_PORT" >>"$PG_DIR/data/postgresql.conf"
		if pg_as_owner "$PG_BIN/pg_ctl" start -w -t 60 -D "$PG_DIR/data" \
			-l "$PG_DIR/server.log" >"$PG_DIR/pg_ctl.log" 2>&1; then
			return 0
		fi
		grep -q 'could not bind\|Address already in use' "$PG_DIR/server.log" || break
	done
	echo "pg_start: the server did not start:" >&2
	cat "$PG_DIR/pg_ctl.log" "$PG_DIR/server.log" >&2
	return 1
}

pg_start() {
	PG_BIN=$(pg_bindir) || {
		echo "pg_start: no PostgreSQL server binaries (initdb, pg_ctl) found" >&2
		return 1
	}
	PG_DIR=$(mktemp -d /tmp/sando-pg.XXXXXX) || return 1
	mkdir "$PG_DIR/sock"
	PG_OWNER=$(id -un) PG_GROUP=$(id -gn)
	if [ "$(id -u)" -eq 0 ]; then
		PG_OWNER=nobody
		PG_GROUP=$(id -gn nobody) || return 1
		chown -R "$PG_OWNER:$PG_GROUP" "$PG_DIR"
	fi
	chmod 0700 "$PG_DIR"
	export PG_BIN PG_DIR
	pg_initdb && pg_ctl_start || {
		pg_stop
		return 1
	}
	export PG_PORT PG_PASSWORD
	export PG_ADMIN_URL="postgresql://$PG_OWNER@127.0.0.1:$PG_PORT/postgres"
	export PG_URL="postgresql://$PG_OWNER@127.0.0.1:$PG_PORT/scratch"
	export PG_PW_URL="postgresql://sando_pw:$PG_PASSWORD_ENC@127.0.0.1:$PG_PORT/scratch"
	psql -X -q -v ON_ERROR_STOP=1 -d "$PG_ADMIN_URL" >/dev/null <<EOT || { pg_stop; return 1; }
CREATE DATABASE scratch;
CREATE ROLE sando_pw LOGIN PASSWORD '$PG_PASSWORD';
ALTER DATABASE scratch OWNER TO sando_pw;
EOT
}

pg_pids() {
	local pid
	[ -n "${PG_DIR:-}" ] && [ -f "$PG_DIR/data/postmaster.pid" ] || return 0
	pid=$(head -1 "$PG_DIR/data/postmaster.pid")
	[ -n "$pid" ] || return 0
	echo "$pid"
	pgrep -P "$pid" || true
}

# Of the pids given, those still running (an exited process that its parent,
# here init, has not reaped yet is a zombie: it runs nothing, holds nothing).
pg_running() {
	local p
	for p in "$@"; do
		case "$(ps -o stat= -p "$p" 2>/dev/null)" in
		'' | Z*) ;;
		*) echo "$p" ;;
		esac
	done
}

pg_stop() {
	local pids i
	[ -n "${PG_DIR:-}" ] && [ -d "$PG_DIR" ] || return 0
	pids=$(pg_pids)
	if [ -n "$pids" ]; then
		pg_as_owner "$PG_BIN/pg_ctl" stop -m immediate -W -D "$PG_DIR/data" \
			>>"$PG_DIR/pg_ctl.log" 2>&1 || true
		for i in $(seq 1 200); do
			[ -z "$(pg_running $pids)" ] && break
			sleep 0.05
		done
		# pg_ctl failed or the server hangs: end the processes we know of, by pid
		pids=$(pg_running $pids)
		[ -z "$pids" ] || kill -KILL $pids 2>/dev/null || true
	fi
	rm -rf "$PG_DIR"
	PG_DIR=
}

# A throwaway OpenSSH server for system tests (`load sshd` in bats, or
# `. tests/system/sshd.bash` in a plain bash): the "nodes" a deploy pushes to
# with real rsync over real ssh, behind an sshd of the test's own on loopback.
# Its own temp directory, its own host key, public-key logins of the current
# user only; host keys are checked by every client, never disabled.
#
#   sshd_available  0 when /usr/sbin/sshd and ssh-keygen exist
#   sshd_start      keys + config + start; waits until `ssh ... true` works;
#                   sets and exports:
#     SSHD_DIR        the server's temp directory (/tmp/sando-sshd.XXXXXX):
#                     host_key, client_key, authorized_keys, known_hosts,
#                     sshd_config, sshd.pid and sshd.log (LogLevel VERBOSE)
#     SSHD_PORT       the server's port on 127.0.0.1
#     SSH_KEY         the client's private key (ed25519, no passphrase)
#     SSH_KNOWN_HOSTS a known_hosts file holding the host key for
#                     [127.0.0.1]:SSHD_PORT
#     SSH_USER        the current user's name: the only user who can log in
#     SSH_DEST        SSH_USER@127.0.0.1, the host argument for ssh and rsync
#     SSH_TARGET      SSH_USER@127.0.0.1:SSHD_PORT, a node's ssh_target in
#                     sando.toml (not ssh syntax: ssh takes the port from -p)
#     SSH_OPTS        the client's options, one string of words without
#                     spaces, to be split: ssh $SSH_OPTS "$SSH_DEST" CMD, or
#                     rsync -e "ssh $SSH_OPTS" ... "$SSH_DEST:PATH" (-i key,
#                     UserKnownHostsFile, StrictHostKeyChecking=yes,
#                     BatchMode=yes, IdentitiesOnly=yes, -p port)
#   sshd_ssh CMD..  run CMD on the server (as ssh does: the words joined by
#                   spaces, run by the user's shell), with SSH_OPTS
#   sshd_stop       stop that sshd and every process serving a connection for
#                   it (by the pidfile's pid and its descendants, then by
#                   command line), remove SSHD_DIR; harmless when nothing runs.
#                   One server at a time: sshd_stop before sshd_start again
#   sshd_pids       the listener's pid and its descendants', one per line
#   sshd_running PID.. those of the pids that still run (zombies do not count)
#
# As root (tests run as root in CI), sshd separates privileges as usual: it
# needs /run/sshd (created here) and the user "sshd" (the package's); root logs
# in with its key only (PermitRootLogin prohibit-password).  Any other user
# runs sshd as itself, without privilege separation, and only that user can
# log in.  UsePAM is off, so an account whose password is locked ("!" in
# /etc/shadow) is refused: sshd.log then says "account is locked".
#
# ControlMaster sockets: a ControlPath must fit a unix socket's 108 bytes (ssh
# adds 17 characters while it sets one up), so put them in SSHD_DIR, not in
# BATS_TEST_TMPDIR.  sshd_stop ends the server's side of a connection a
# master (ControlPersist) holds, and with it the master.

SSHD_BIN=/usr/sbin/sshd

sshd_available() {
	[ -x "$SSHD_BIN" ] && command -v ssh-keygen >/dev/null 2>&1
}

# A TCP port on 127.0.0.1 that was free a moment ago (without python3, a
# random one: sshd_start tries another when sshd cannot bind it).
sshd_free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' \
		2>/dev/null || echo $((20000 + RANDOM % 30000))
}

# Write sshd_config for port $1.
sshd_write_config() {
	cat >"$SSHD_DIR/sshd_config" <<EOT
# throwaway sshd of a sando system test (tests/system/sshd.bash)
ListenAddress 127.0.0.1
Port $1
HostKey $SSHD_DIR/host_key
PidFile $SSHD_DIR/sshd.pid
AuthorizedKeysFile $SSHD_DIR/authorized_keys
AllowUsers $SSH_USER
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
HostbasedAuthentication no
PermitRootLogin prohibit-password
UsePAM no
StrictModes no
LogLevel VERBOSE
# no AcceptEnv: the client's environment is not passed on
PermitUserEnvironment no
UseDNS no
PrintMotd no
PrintLastLog no
X11Forwarding no
AllowAgentForwarding no
MaxStartups 100
MaxSessions 100
MaxAuthTries 3
LoginGraceTime 30
Subsystem sftp internal-sftp
EOT
	# OpenSSH >= 9.8 penalises sources whose connections fail (the tests
	# make some on purpose); older servers do not know the option
	echo 'PerSourcePenalties no' >>"$SSHD_DIR/sshd_config"
	"$SSHD_BIN" -t -f "$SSHD_DIR/sshd_config" >/dev/null 2>&1 ||
		sed -i '/^PerSourcePenalties /d' "$SSHD_DIR/sshd_config"
}

# Start the daemon on a free port; retried when another process took the
# port.  sshd binds before it detaches, so its exit status tells.
sshd_daemon_start() {
	local try port
	for try in 1 2 3 4 5; do
		port=$(sshd_free_port) || return 1
		sshd_write_config "$port"
		: >"$SSHD_DIR/sshd.log"
		if "$SSHD_BIN" -f "$SSHD_DIR/sshd_config" -E "$SSHD_DIR/sshd.log" \
			</dev/null >/dev/null 2>>"$SSHD_DIR/sshd.log" 3>&-; then
			SSHD_PORT=$port
			return 0
		fi
		grep -q 'Address already in use\|Cannot bind' "$SSHD_DIR/sshd.log" || break
	done
	echo "sshd_start: sshd did not start:" >&2
	cat "$SSHD_DIR/sshd.log" >&2
	return 1
}

sshd_start() {
	local i hostkey
	sshd_available || {
		echo "sshd_start: $SSHD_BIN or ssh-keygen not found (openssh-server)" >&2
		return 1
	}
	SSHD_DIR=$(mktemp -d /tmp/sando-sshd.XXXXXX) || return 1
	chmod 0700 "$SSHD_DIR"
	export SSHD_DIR
	SSH_USER=$(id -un) || return 1
	if [ "$(id -u)" -eq 0 ]; then
		# Debian's sshd chroots its unprivileged child here
		mkdir -p /run/sshd && chmod 0755 /run/sshd || return 1
	fi
	ssh-keygen -q -t ed25519 -N '' -C sando-test-host -f "$SSHD_DIR/host_key" &&
		ssh-keygen -q -t ed25519 -N '' -C sando-test-client -f "$SSHD_DIR/client_key" || {
		sshd_stop
		return 1
	}
	cp "$SSHD_DIR/client_key.pub" "$SSHD_DIR/authorized_keys"
	sshd_daemon_start || {
		sshd_stop
		return 1
	}
	hostkey=$(cut -d' ' -f1,2 "$SSHD_DIR/host_key.pub")
	echo "[127.0.0.1]:$SSHD_PORT $hostkey" >"$SSHD_DIR/known_hosts"
	SSH_KEY=$SSHD_DIR/client_key
	SSH_KNOWN_HOSTS=$SSHD_DIR/known_hosts
	SSH_DEST=$SSH_USER@127.0.0.1
	SSH_TARGET=$SSH_USER@127.0.0.1:$SSHD_PORT
	SSH_OPTS="-i $SSH_KEY -o UserKnownHostsFile=$SSH_KNOWN_HOSTS -o StrictHostKeyChecking=yes"
	SSH_OPTS="$SSH_OPTS -o BatchMode=yes -o IdentitiesOnly=yes -p $SSHD_PORT"
	export SSHD_PORT SSH_KEY SSH_KNOWN_HOSTS SSH_USER SSH_DEST SSH_TARGET SSH_OPTS
	# sshd listens before it detaches: only a slow start is worth a retry,
	# a refused login or host key stays refused
	for i in $(seq 1 40); do
		if sshd_ssh -o ConnectTimeout=5 true </dev/null >/dev/null 2>"$SSHD_DIR/start-ssh.err"; then
			return 0
		fi
		grep -q 'Permission denied\|Host key verification failed' "$SSHD_DIR/start-ssh.err" && break
		sleep 0.05
	done
	echo "sshd_start: ssh to 127.0.0.1:$SSHD_PORT does not work:" >&2
	cat "$SSHD_DIR/start-ssh.err" "$SSHD_DIR/sshd.log" >&2
	sshd_stop
	return 1
}

sshd_ssh() {
	# shellcheck disable=SC2086 # SSH_OPTS is a list of words
	ssh $SSH_OPTS "$SSH_DEST" "$@"
}

# $1 and its descendants, parents first.
sshd_tree() {
	local c
	echo "$1"
	for c in $(pgrep -P "$1"); do
		sshd_tree "$c"
	done
}

sshd_pids() {
	local pid
	[ -n "${SSHD_DIR:-}" ] && [ -f "$SSHD_DIR/sshd.pid" ] || return 0
	pid=$(head -1 "$SSHD_DIR/sshd.pid")
	case "$pid" in '' | *[!0-9]*) return 0 ;; esac
	# a pid reused since would not name our config
	grep -qF -- "$SSHD_DIR/sshd_config" "/proc/$pid/cmdline" 2>/dev/null || return 0
	sshd_tree "$pid"
}

# Of the pids given, those still running (an exited process that its parent,
# here init, has not reaped yet is a zombie: it runs nothing, holds nothing).
sshd_running() {
	local p
	for p in "$@"; do
		case "$(ps -o stat= -p "$p" 2>/dev/null)" in
		'' | Z*) ;;
		*) echo "$p" ;;
		esac
	done
}

sshd_stop() {
	local pids listener i
	[ -n "${SSHD_DIR:-}" ] && [ -d "$SSHD_DIR" ] || return 0
	listener=$(sshd_pids | head -1)
	# stopped, the listener forks no new connection while its tree is listed
	[ -z "$listener" ] || kill -STOP "$listener" 2>/dev/null || true
	# the tree (connections, their sessions and commands), and any sshd of
	# this config that is no longer in it (a connection's process keeps the
	# config in its command line until it renames itself)
	pids=$(
		sshd_pids
		pgrep -f -- "-f $SSHD_DIR/sshd_config" || true
	)
	pids=$(echo "$pids" | sort -u | grep -v -x -e "$$" -e "${BASHPID:-$$}")
	if [ -n "$pids" ]; then
		kill -TERM $pids 2>/dev/null || true
		[ -z "$listener" ] || kill -CONT "$listener" 2>/dev/null || true
		for i in $(seq 1 100); do
			[ -z "$(sshd_running $pids)" ] && break
			sleep 0.05
		done
		pids=$(sshd_running $pids)
		[ -z "$pids" ] || kill -KILL $pids 2>/dev/null || true
	fi
	rm -rf "$SSHD_DIR"
	SSHD_DIR=
}

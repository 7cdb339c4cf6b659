#!/usr/bin/env bats
# The OpenSSH harness (sshd.bash) that the ssh transport's deploy tests stand
# on: a throwaway sshd on loopback that real ssh and real rsync reach with a
# test key, host keys checked (a wrong one is refused), connection sharing
# (ControlMaster) working, 20 connections at once served, and an sshd_stop
# that leaves no process behind.

load lib
load sshd

setup() {
	sshd_available || skip "openssh-server is not installed (no /usr/sbin/sshd or ssh-keygen)"
	sshd_start
}

teardown() { sshd_stop; }

# ssh with the harness's options and the connection-sharing ones.
cm_opts() {
	echo "-o ControlMaster=auto -o ControlPath=$SSHD_DIR/cm-%C -o ControlPersist=30"
}

accepted() {
	grep -c 'Accepted publickey for' "$SSHD_DIR/sshd.log" || true
}

@test "sshd_start: ssh with SSH_OPTS runs a command as SSH_USER on 127.0.0.1 and returns its output" {
	[ "$SSH_TARGET" = "$(id -un)@127.0.0.1:$SSHD_PORT" ]
	[ "$SSH_DEST" = "$(id -un)@127.0.0.1" ]
	[ -f "$SSH_KEY" ] && [ -f "$SSH_KNOWN_HOSTS" ]
	[ "$(cat "$SSH_KNOWN_HOSTS")" = "[127.0.0.1]:$SSHD_PORT $(cut -d' ' -f1,2 "$SSHD_DIR/host_key.pub")" ]
	# shellcheck disable=SC2086,SC2046
	run ssh $SSH_OPTS "$SSH_DEST" echo hello '"$(id -un)"'
	[ "$status" -eq 0 ]
	[ "$output" = "hello $(id -un)" ]
	run sshd_ssh 'printf "%s|" "$(id -un)" "${SSH_CONNECTION%% *}"; exit 7'
	[ "$status" -eq 7 ]
	[ "$output" = "$(id -un)|127.0.0.1|" ]
	# the server runs as root (privilege separation) or as the user itself
	pid=$(head -1 "$SSHD_DIR/sshd.pid")
	[ "$(ps -o user= -p "$pid")" = "$(id -un)" ]
	[ -n "$(sshd_running "$pid")" ]
	grep -q 'Server listening on 127.0.0.1 port' "$SSHD_DIR/sshd.log"
	# keys only: a password, or a key that is not in authorized_keys, is refused
	# shellcheck disable=SC2086,SC2046
	run ssh $SSH_OPTS -o PubkeyAuthentication=no -o PreferredAuthentications=password,keyboard-interactive \
		"$SSH_DEST" true
	[ "$status" -eq 255 ]
	[[ "$output" == *"Permission denied (publickey)"* ]]
	ssh-keygen -q -t ed25519 -N '' -f "$BATS_TEST_TMPDIR/other_key"
	run ssh -i "$BATS_TEST_TMPDIR/other_key" -o IdentitiesOnly=yes -o BatchMode=yes \
		-o UserKnownHostsFile="$SSH_KNOWN_HOSTS" -o StrictHostKeyChecking=yes -p "$SSHD_PORT" \
		"$SSH_DEST" true
	[ "$status" -eq 255 ]
	[[ "$output" == *"Permission denied (publickey)"* ]]
}

@test "rsync -a over ssh copies a tree to a path on the node, modes and links kept" {
	src="$BATS_TEST_TMPDIR/bundle"
	node="$BATS_TEST_TMPDIR/node"
	mkdir -p "$src/bin" "$src/static/css" "$node/releases"
	printf '#!/bin/sh\necho app\n' >"$src/bin/app"
	chmod 0755 "$src/bin/app"
	echo '<h1>app</h1>' >"$src/static/index.html"
	echo 'body{}' >"$src/static/css/site.css"
	chmod 0644 "$src/static/index.html" "$src/static/css/site.css"
	ln -s index.html "$src/static/home.html"
	head -c 300000 /dev/urandom >"$src/static/blob.bin"

	run rsync -a --delete -e "ssh $SSH_OPTS" "$src/" "$SSH_DEST:$node/releases/1.0.0.partial/"
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	diff -r "$src" "$node/releases/1.0.0.partial"
	[ "$(stat -c %a "$node/releases/1.0.0.partial/bin/app")" = 755 ]
	[ "$(stat -c %a "$node/releases/1.0.0.partial/static/index.html")" = 644 ]
	[ "$(readlink "$node/releases/1.0.0.partial/static/home.html")" = index.html ]
	cmp "$src/static/blob.bin" "$node/releases/1.0.0.partial/static/blob.bin"

	# the next version: unchanged files become hard links to the current one
	sshd_ssh "mv -T '$node/releases/1.0.0.partial' '$node/releases/1.0.0'"
	echo 'body{color:red}' >"$src/static/css/site.css"
	run rsync -a --delete --link-dest="$node/releases/1.0.0" -e "ssh $SSH_OPTS" \
		"$src/" "$SSH_DEST:$node/releases/1.1.0.partial/"
	[ "$status" -eq 0 ]
	diff -r "$src" "$node/releases/1.1.0.partial"
	[ "$(stat -c %i "$node/releases/1.1.0.partial/static/blob.bin")" = \
		"$(stat -c %i "$node/releases/1.0.0/static/blob.bin")" ]
	[ "$(stat -c %i "$node/releases/1.1.0.partial/static/css/site.css")" != \
		"$(stat -c %i "$node/releases/1.0.0/static/css/site.css")" ]
}

@test "host keys are checked: a wrong or unknown host key is refused, nothing is copied" {
	ssh-keygen -q -t ed25519 -N '' -f "$BATS_TEST_TMPDIR/impostor"
	echo "[127.0.0.1]:$SSHD_PORT $(cut -d' ' -f1,2 "$BATS_TEST_TMPDIR/impostor.pub")" \
		>"$BATS_TEST_TMPDIR/wrong_hosts"
	wrong=${SSH_OPTS/UserKnownHostsFile=$SSH_KNOWN_HOSTS/UserKnownHostsFile=$BATS_TEST_TMPDIR/wrong_hosts}
	[ "$wrong" != "$SSH_OPTS" ]
	# shellcheck disable=SC2086,SC2046
	run ssh $wrong "$SSH_DEST" 'echo reached'
	[ "$status" -eq 255 ]
	[[ "$output" == *"REMOTE HOST IDENTIFICATION HAS CHANGED"* ]]
	[[ "$output" == *"Host key verification failed."* ]]
	[[ "$output" != *reached* ]]

	mkdir -p "$BATS_TEST_TMPDIR/src" "$BATS_TEST_TMPDIR/node"
	echo x >"$BATS_TEST_TMPDIR/src/f"
	run rsync -a -e "ssh $wrong" "$BATS_TEST_TMPDIR/src/" "$SSH_DEST:$BATS_TEST_TMPDIR/node/r/"
	[ "$status" -ne 0 ]
	[[ "$output" == *"Host key verification failed."* ]]
	[ ! -e "$BATS_TEST_TMPDIR/node/r" ]

	# unknown: StrictHostKeyChecking=yes refuses, and adds nothing to the file
	: >"$BATS_TEST_TMPDIR/empty_hosts"
	unknown=${SSH_OPTS/UserKnownHostsFile=$SSH_KNOWN_HOSTS/UserKnownHostsFile=$BATS_TEST_TMPDIR/empty_hosts}
	# shellcheck disable=SC2086,SC2046
	run ssh $unknown "$SSH_DEST" true
	[ "$status" -eq 255 ]
	[[ "$output" == *"Host key verification failed."* ]]
	[ ! -s "$BATS_TEST_TMPDIR/empty_hosts" ]
	# and the right file still works
	[ "$(sshd_ssh echo ok)" = ok ]
}

@test "ControlMaster: the first ssh starts a master, the next ones share its connection" {
	# shellcheck disable=SC2086,SC2046
	cm() { ssh $(cm_opts) $SSH_OPTS "$@"; }
	run cm "$SSH_DEST" 'echo first'
	[ "$status" -eq 0 ]
	[ "$output" = first ]
	sock=$(find "$SSHD_DIR" -maxdepth 1 -name 'cm-*' -type s)
	[ -n "$sock" ]
	[ "$(accepted)" -eq 2 ] # sshd_start's own check, and this one

	run cm -O check "$SSH_DEST"
	[ "$status" -eq 0 ]
	[[ "$output" == "Master running (pid="*")"* ]]
	master=$(echo "$output" | sed -n 's/.*pid=\([0-9]*\).*/\1/p')
	[ -n "$(sshd_running "$master")" ]

	for i in 1 2 3; do
		run cm "$SSH_DEST" "echo second-$i"
		[ "$status" -eq 0 ]
		[ "$output" = "second-$i" ]
	done
	[ "$(accepted)" -eq 2 ] # no new login: the connection was shared
	run cm -O check "$SSH_DEST"
	[[ "$output" == "Master running (pid=$master)"* ]]
	# a mux client of the master (rsync's ssh) works as well
	mkdir -p "$BATS_TEST_TMPDIR/src"
	echo shared >"$BATS_TEST_TMPDIR/src/f"
	rsync -a -e "ssh $(cm_opts) $SSH_OPTS" "$BATS_TEST_TMPDIR/src/" "$SSH_DEST:$BATS_TEST_TMPDIR/node/"
	[ "$(cat "$BATS_TEST_TMPDIR/node/f")" = shared ]
	[ "$(accepted)" -eq 2 ]

	run cm -O exit "$SSH_DEST"
	[ "$status" -eq 0 ]
	[[ "$output" == *"Exit request sent."* ]]
	for i in $(seq 1 100); do
		[ -z "$(sshd_running "$master")" ] && [ ! -e "$sock" ] && break
		sleep 0.05
	done
	[ -z "$(sshd_running "$master")" ]
	[ ! -e "$sock" ]
	run cm -O check "$SSH_DEST"
	[ "$status" -ne 0 ]
}

@test "20 parallel ssh commands all succeed" {
	pids=()
	for i in $(seq 1 20); do
		# stderr apart: the login shell's own noise (a .bashrc that runs
		# `pyenv init` warns when sessions race) is not the command's output
		sshd_ssh "sleep 0.2; echo \$((${i} * ${i}))" >"$BATS_TEST_TMPDIR/out.$i" 2>"$BATS_TEST_TMPDIR/err.$i" 3>&- &
		pids+=($!)
	done
	failed=0
	for i in $(seq 1 20); do
		wait "${pids[$((i - 1))]}" || { failed=$((failed + 1)); cat "$BATS_TEST_TMPDIR/out.$i" "$BATS_TEST_TMPDIR/err.$i"; }
	done
	[ "$failed" -eq 0 ]
	for i in $(seq 1 20); do
		[ "$(cat "$BATS_TEST_TMPDIR/out.$i")" = $((i * i)) ] || { cat "$BATS_TEST_TMPDIR/err.$i"; false; }
	done
	[ "$(accepted)" -eq 21 ]
}

@test "sshd_stop ends the server, its connections and their commands; leaves nothing behind" {
	dir=$SSHD_DIR port=$SSHD_PORT
	pid=$(head -1 "$SSHD_DIR/sshd.pid")
	# a command still running on the node, and a connection master
	sshd_ssh 'sleep 3607' </dev/null >/dev/null 2>&1 3>&- &
	client=$!
	# shellcheck disable=SC2086,SC2046
	ssh $(cm_opts) $SSH_OPTS "$SSH_DEST" true
	for i in $(seq 1 100); do
		[ "$(procs_matching '^sleep 3607')" -eq 1 ] && break
		sleep 0.05
	done
	[ "$(procs_matching '^sleep 3607')" -eq 1 ]
	tree=$(sshd_pids)
	[ "$(echo "$tree" | wc -l)" -ge 3 ] # listener, connections, their commands
	[ -n "$(pgrep -f -- "$dir")" ]

	sshd_stop
	[ -z "$SSHD_DIR" ]
	[ ! -e "$dir" ]
	[ -z "$(sshd_running "$pid")" ]
	[ -z "$(sshd_running $tree)" ]
	[ "$(procs_matching '^sleep 3607')" -eq 0 ]
	wait "$client" || true
	# the client processes, the master among them, end with their connection
	for i in $(seq 1 100); do
		[ -z "$(pgrep -f -- "$dir")" ] && break
		sleep 0.05
	done
	[ -z "$(pgrep -f -- "$dir")" ]
	run ssh -o BatchMode=yes -o ConnectTimeout=5 -p "$port" "$SSH_DEST" true
	[ "$status" -eq 255 ]
	[[ "$output" == *"port $port"*"Connection refused"* ]]
	sshd_stop # a second stop is harmless
}

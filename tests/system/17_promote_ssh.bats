#!/usr/bin/env bats
# Promote and rollback to nodes behind a real sshd on loopback (sshd.bash):
# rsync over ssh with connection sharing, host keys checked against the
# daemon's known_hosts, sha256 verification on the node, restart and health
# check run on the node.

load lib
load sshd

setup() {
	sshd_available || skip "no OpenSSH server (sshd) installed"
	sshd_start
}

teardown() {
	[ -z "${STUB_PID:-}" ] || kill "$STUB_PID" 2>/dev/null || true
	sando_teardown
	sshd_stop
}

V=0.1.0
V2=0.2.0

ssh_node() { # name
	printf '[[tier.node]]\nname = "%s"\nssh_target = "%s"\nrelease_root = "%s/nodes/%s"\n' "$1" "$SSH_TARGET" "$WS" "$1"
}

start_ssh_demo() { # extra tier keys
	sando_ws
	start_stub
	sando_config_demo "health_timeout_s = 5
${RETAIN:-}
ssh_key = \"$SSH_KEY\"
ssh_known_hosts = \"${KNOWN_HOSTS:-$SSH_KNOWN_HOSTS}\"" "$(printf '[[tier]]\nname = "build"\n[[tier]]\nname = "remote"\nhealth_url = "%s"\nrestart = ["%s/restart.sh"]\n%s\n' "$STUB_URL" "$WS" "${1:-}"; ssh_node r-1; ssh_node r-2)"
	sando_start
	sando_demo_app
}

logins() { grep -c 'Accepted publickey' "$SSHD_DIR/sshd.log" || true; }

@test "promote over ssh: files on the nodes, sha256 verified there, one connection per node" {
	start_ssh_demo 'verify = "sha256"'
	build_version $V
	before=$(logins)
	promote remote
	[ "$CODE" = 202 ]
	p=$(wait_promote "$(echo "$BODY" | jq -r .promote_id)")
	[ "$(echo "$p" | jq -r .status)" = ok ] || { echo "$p"; cat "$WS/logs/promotes/1.log"; false; }
	for n in r-1 r-2; do
		[ "$(readlink "$WS/nodes/$n/current")" = "releases/$V" ]
		cmp "$WS/releases/$V/demo-app" "$WS/nodes/$n/current/demo-app"
	done
	grep -q "r-1 releases/$V $V" "$WS/restarts.log"
	# probe, rsync, list, hash, swap, restart, health: one login per node
	# without sharing: a login per step (7+ per node); a master may be set up
	# twice when the machine is slow, hence 4
	[ "$(($(logins) - before))" -le 4 ]
	build_version $V2
	promote remote
	[ "$(wait_promote "$(echo "$BODY" | jq -r .promote_id)" | jq -r .status)" = ok ]
	[ "$(stat -c %i "$WS/nodes/r-1/releases/$V/static/index.html")" = "$(stat -c %i "$WS/nodes/r-1/releases/$V2/static/index.html")" ]
	http -X POST "$URL/rollback/remote"
	[ "$(wait_promote "$(echo "$BODY" | jq -r .promote_id)" | jq -r .status)" = ok ]
	[ "$(readlink "$WS/nodes/r-2/current")" = "releases/$V" ]
	# the password-less key never shows in logs; no ssh process outlives the daemon's use
	! grep -q 'PRIVATE KEY' "$WS/sandod.log" "$WS"/logs/promotes/*.log
}

# until sandod runs no program (pruning goes on after the promote's end)
daemon_idle() {
	for _ in $(seq 200); do
		[ -n "$(pgrep -P "$SANDOD_PID")" ] || return 0
		sleep 0.05
	done
	false
}

@test "pruning after a promote rides on the promote's ssh connections" {
	RETAIN='retain_releases = 2' start_ssh_demo
	before=$(logins)
	for v in $V $V2 0.3.0 0.4.0; do
		build_version $v
		promote remote
		[ "$(wait_promote "$(echo "$BODY" | jq -r .promote_id)" | jq -r .status)" = ok ]
		daemon_idle
	done
	# each promote's steps, and the pruning after the last two, share one
	# master a node, which lives on 60 s: 2 logins for the four promotes (a
	# slow machine may set a master up again); pruning over connections of
	# its own made it 14
	[ "$(($(logins) - before))" -le 6 ]
	for n in r-1 r-2; do
		[ "$(ls "$WS/nodes/$n/releases" | paste -sd,)" = "0.3.0,0.4.0" ]
	done
}

@test "a node whose host key is not the known one is refused: unreachable, nothing switched" {
	sando_ws
	ssh-keygen -q -t ed25519 -N '' -f "$WS/other_key"
	echo "[127.0.0.1]:$SSHD_PORT $(cat "$WS/other_key.pub")" >"$WS/wrong_known_hosts"
	KNOWN_HOSTS="$WS/wrong_known_hosts" start_ssh_demo
	build_version $V
	promote remote
	p=$(wait_promote "$(echo "$BODY" | jq -r .promote_id)")
	[ "$(echo "$p" | jq -r .status)" = failed ]
	[ "$(echo "$p" | jq -r '.deploys[0].outcome.failure.kind')" = unreachable ]
	grep -q 'Host key verification failed\|REMOTE HOST IDENTIFICATION HAS CHANGED' "$WS/logs/promotes/1.log"
	[ ! -e "$WS/nodes/r-1/current" ]
	[ "$(curl -s "$URL/state" | jq -r '.tiers[1].current_version')" = null ]
}

#!/bin/bash
# Deploy benchmark (issue 5): a real sandod promotes a bundle shaped like a
# real one (a 133 MB and a 25 MB binary, 300 small static files, 100 docs) to
# a tier of 10 nodes, against the bare tools doing the same in the same run:
# per node, all nodes in parallel, `rsync -a --delete [--link-dest=../<prev>]`
# + `ln -s releases/<v> current.new` + `mv -T current.new current`.
#
# Steps, each timed on both sides (sando: from just before the POST to the
# arrival of the promote_complete / rollback event on `sando events --json`,
# see bench/deploy/api.py):
#   1. version 1 to 10 local nodes (directories);
#   2. version 2 (41 scattered 64 KiB blocks = 2% of the big binary and 3
#      assets changed) to the same nodes;
#   3. version 2 to 10 ssh nodes (one sshd on loopback, tests/system/sshd.bash,
#      each node its own release_root; version 1 went there first); the bare
#      tools open their own connections (rsync -e ssh, then ssh for ln + mv);
#      bytes on the loopback interface for both, and rsync's own --stats;
#   4. rollback of the 10 local nodes, ROLLBACKS times back and forth;
#   5. disk used by a node holding both versions (du counts hard links once);
#   6. the same with `verify = "sha256"` on the tier (tiers local-sha256 and
#      ssh-sha256, fresh nodes);
#   7. the same three local steps with Ansible (ansible.posix.synchronize +
#      community.general.deploy_helper, forks = 10, connection local), when
#      ansible-playbook is installed (Debian's `ansible`).
# The bare tools run twice per step, just before (A) and just after (B) sando,
# each into nodes of their own, from the staged release directories
# (<release_root>/<version>/, the same files and times sando sends); ratios
# are against their mean.  `sync` before every timed run.
# Prints figures, never fails on them (only when a deploy itself fails).
#
# usage: bench/deploy.sh [BUILD_DIR]
#   env: NODES (10), ROLLBACKS (10), ANSIBLE (1; 0 skips it)
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-build}
case $build in /*) ;; *) build="$top/$build" ;; esac
nodes=${NODES:-10}
rollbacks=${ROLLBACKS:-10}
sandod=$build/src/daemon/sandod
sando=$build/src/client/sando
[ -x "$sandod" ] && [ -x "$sando" ] || { echo "bench: no sandod/sando in $build"; exit 1; }
use_ansible=${ANSIBLE:-1}
if [ "$use_ansible" = 1 ] && ! command -v ansible-playbook >/dev/null; then
	echo "bench: ansible-playbook not installed (apt-get install ansible): its steps are skipped"
	use_ansible=0
fi

ws=$(mktemp -d "${TMPDIR:-/tmp}/sando-bench-deploy.XXXXXX")
pid=
cleanup() {
	set +e
	local s
	for s in "$ws"/work/ssh/*; do
		[ -S "$s" ] && ssh -o ControlPath="$s" -O exit x >/dev/null 2>&1
	done
	if [ -n "$pid" ]; then
		kill "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	fi
	sshd_stop
	if [ -n "${KEEP:-}" ]; then echo "bench: kept $ws"; else rm -rf "$ws"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM
# shellcheck source=../tests/system/sshd.bash
. "$top/tests/system/sshd.bash"

res=$ws/results # "key value" lines, read by the report at the end
put() { echo "$1 $2" >>"$res"; }
now() { echo "$EPOCHREALTIME"; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN {printf "%.4f", b - a}'; }
lo_bytes() { awk -F: '$1 ~ /^ *lo$/ {split($2, a, " "); print a[9]}' /proc/net/dev; }
say() { echo "-- $*"; }

# --- the bundle ---------------------------------------------------------------
# Deterministic pseudo-random bytes: AES-128-CTR keystream of a fixed password.
stream() {
	openssl enc -aes-128-ctr -pass "pass:$1" -nosalt -pbkdf2 -iter 1 </dev/zero 2>/dev/null |
	    head -c "$2" || true
}
V1=1.0.0
V2=2.0.0
cache=$ws/cache
mkdir -p "$cache/$V1" "$cache/$V2"
stream app 133000000 >"$cache/$V1/app"
stream admin 25000000 >"$cache/$V1/app-admin"
cp "$cache/$V1/app" "$cache/$V1/app-admin" "$cache/$V2/"
# version 2: 2% of the big binary, 41 blocks of 64 KiB spread over its 2029
nblocks=$((133000000 / 65536))
nchanged=41
stream blocks2 $((nchanged * 65536)) >"$ws/blocks"
for k in $(seq 0 $((nchanged - 1))); do
	dd if="$ws/blocks" of="$cache/$V2/app" bs=65536 skip="$k" seek=$(((2 * k + 1) * nblocks / (2 * nchanged))) \
	    count=1 conv=notrunc status=none
done
rm -f "$ws/blocks"
changed_bytes=$(cmp -l "$cache/$V1/app" "$cache/$V2/app" | wc -l)

app=$ws/app
mkdir -p "$app"
git init -q -b main "$app"
stream assets 16M >"$ws/pool"
asset_path() { # i: static/... path of asset i
	local dir=static/group$(($1 % 6))/part$(($1 % 5))
	[ $(($1 % 3)) -eq 0 ] && dir=$dir/deep$(($1 % 4))
	echo "$dir/asset$1.dat"
}
off=0
for i in $(seq 0 299); do
	f=$app/$(asset_path "$i")
	mkdir -p "$(dirname "$f")"
	size=$((512 + (i * 7919) % 40000))
	dd if="$ws/pool" of="$f" bs=64K iflag=skip_bytes,count_bytes skip=$off count=$size status=none
	off=$((off + size))
done
stream docs 3M | base64 -w 76 >"$ws/pool"
off=0
mkdir -p "$app/docs/guide" "$app/docs/api"
for i in $(seq 0 99); do
	sub=guide
	[ $((i % 2)) -eq 0 ] && sub=api
	size=$((1000 + (i * 4099) % 20000))
	{
		echo "# Document $i"
		echo
		dd if="$ws/pool" bs=64K iflag=skip_bytes,count_bytes skip=$off count=$size status=none
	} >"$app/docs/$sub/doc$i.md"
	off=$((off + size))
done
rm -f "$ws/pool"
echo "$V1" >"$app/VERSION"
cat >"$app/build.sh" <<EOT
# the bench's build: the binaries come from a cache outside the repository
set -e
v=\$(cat VERSION)
mkdir -p out
cp "$cache/\$v/app" "$cache/\$v/app-admin" out/
EOT
commit() {
	git -C "$app" add -A
	git -C "$app" -c user.name=b -c user.email=b@b commit -qm "$1"
}
commit v1
bundle_bytes=$(($(stat -c %s "$cache/$V1/app" "$cache/$V1/app-admin" | paste -sd+) + $(du -sb "$app/static" "$app/docs" | awk '{s += $1} END {print s}')))

# --- sshd and sandod ------------------------------------------------------------
sshd_start
node_block() { # name target root
	printf '[[tier.node]]\nname = "%s"\nssh_target = "%s"\nrelease_root = "%s"\n' "$1" "$2" "$3"
}
tier_block() { # name kind(local|ssh) [verify]
	printf '[[tier]]\nname = "%s"\ncanary = "parallel"\nmax_parallel = %d\n' "$1" "$nodes"
	[ -z "${3:-}" ] || printf 'verify = "%s"\n' "$3"
	for i in $(seq "$nodes"); do
		if [ "$2" = local ]; then
			node_block "$1-$i" local "$ws/nodes/$1/n$i"
		else
			node_block "$1-$i" "$SSH_TARGET" "$ws/nodes/$1/n$i"
		fi
	done
}
cat >"$ws/daemon.toml" <<EOT
listen = "127.0.0.1:0"
db_path = "sando.db"
topology_path = "sando.toml"
workdir = "work"
release_root = "releases"
logs_root = "logs"
bin_names = ["app", "app-admin"]
release_contents = [
  { src = "static", dst = "static", required = true },
  { src = "docs", dst = "docs", required = true },
]
ssh_key = "$SSH_KEY"
ssh_known_hosts = "$SSH_KNOWN_HOSTS"
[build]
dir = "."
command = ["sh", "build.sh"]
artifact_dir = "out"
version_from = "VERSION"
EOT
{
	printf '[repo]\nbare_path = "%s/repo.git"\n[[tier]]\nname = "build"\n' "$ws"
	tier_block local local
	tier_block ssh ssh
	tier_block local-sha256 local sha256
	tier_block ssh-sha256 ssh sha256
} >"$ws/sando.toml"
"$sandod" --config "$ws/daemon.toml" 2>"$ws/sandod.log" &
pid=$!
for _ in $(seq 200); do grep -q 'ready: listening' "$ws/sandod.log" && break; sleep 0.05; done
port=$(sed -n 's/.*ready: listening.*(port \([0-9]*\)).*/\1/p' "$ws/sandod.log")
[ -n "$port" ] || { echo "bench: sandod did not start"; cat "$ws/sandod.log"; exit 1; }
url=http://127.0.0.1:$port
rel=$ws/releases # sandod's staged releases

build_version() { # version: push, wait until the first tier has it
	local t0
	t0=$(now)
	git -C "$app" push -q "$ws/repo.git" main
	for _ in $(seq 1200); do
		[ "$(curl -s "$url/state" | jq -r '.tiers[0].current_version')" = "$1" ] && {
			put "stage_$1" "$(since "$t0")"
			return 0
		}
		sleep 0.1
	done
	echo "bench: version $1 was not built"
	curl -s "$url/builds"
	tail -20 "$ws/sandod.log"
	exit 1
}

# Close the ssh masters sandod left (ControlPersist), so that the next ssh
# promote opens its connections like the first one of the day.
close_masters() {
	local s
	for s in "$ws"/work/ssh/*; do
		[ -S "$s" ] && ssh -o ControlPath="$s" -O exit x >/dev/null 2>&1 || true
	done
	sleep 0.2
}

# sando_step key action tier [repeat]: run api.py, keep its JSON lines
sando_step() {
	local out=$ws/api.$1
	sync
	if ! API_EVENTS_LOG=$ws/events.jsonl python3 "$top/bench/deploy/api.py" "$sando" "$url" "$ws/sando.db" "$2" "$3" "${4:-1}" >"$out"; then
		echo "bench: $2 of tier $3 failed:"
		cat "$out"
		tail -20 "$ws/sandod.log"
		exit 1
	fi
	python3 - "$out" "$1" >>"$res" <<'EOF'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
k = sys.argv[2]
tot = [r["total_s"] for r in rows]
print("%s %.4f" % (k, statistics.median(tot)))
print("%s_max %.4f" % (k, max(tot)))
print("%s_min %.4f" % (k, min(tot)))
print("%s_accepted %.4f" % (k, statistics.median(r["accepted_s"] for r in rows)))
if rows[0].get("last_node_s") is not None:
    print("%s_first_node %.4f" % (k, rows[0]["first_node_s"]))
    print("%s_last_node %.4f" % (k, rows[0]["last_node_s"]))
print("%s_lo %d" % (k, rows[0]["lo_bytes"]))
EOF
}

# check_nodes dir version: every node's current points at the version, and
# node 1's files are the staged release's
check_nodes() {
	local i
	for i in $(seq "$nodes"); do
		[ "$(readlink "$1/n$i/current")" = "releases/$2" ] ||
		    [ "$(readlink "$1/n$i/current")" = "$1/n$i/releases/$2" ] || {
			echo "bench: $1/n$i/current -> $(readlink "$1/n$i/current"), not $2"
			exit 1
		}
	done
	diff -r --exclude=.sando "$rel/$2" "$1/n1/current/" >/dev/null || {
		echo "bench: $1/n1 differs from the staged $2"
		exit 1
	}
}

# --- the bare tools ---------------------------------------------------------------
# bare key dir version [link-dest version] [ssh]: per node, in parallel:
# rsync + ln -s + mv -T; locally or over ssh (each command its own connection)
bare() {
	local key=$1 dir=$2 v=$3 prev=${4:-} over=${5:-} i d t0 b0 fail=0
	local pids=()
	for i in $(seq "$nodes"); do mkdir -p "$dir/n$i/releases"; done
	sync
	b0=$(lo_bytes)
	t0=$(now)
	for i in $(seq "$nodes"); do
		d=$dir/n$i
		if [ -z "$over" ]; then
			(rsync -a --delete ${prev:+"--link-dest=../$prev"} "$rel/$v/" "$d/releases/$v/" &&
			    cd "$d" && ln -s "releases/$v" current.new && mv -T current.new current) &
		else
			# shellcheck disable=SC2086 # SSH_OPTS is a list of words
			(rsync -a --delete --stats ${prev:+"--link-dest=../$prev"} -e "ssh $SSH_OPTS" \
			    "$rel/$v/" "$SSH_DEST:$d/releases/$v/" >"$ws/stats.$key.$i" &&
			    ssh $SSH_OPTS "$SSH_DEST" "cd '$d' && ln -s 'releases/$v' current.new && mv -T current.new current") &
		fi
		pids+=($!)
	done
	for p in "${pids[@]}"; do wait "$p" || fail=1; done
	put "$key" "$(since "$t0")"
	put "${key}_lo" $(($(lo_bytes) - b0))
	[ "$fail" = 0 ] || { echo "bench: bare $key failed"; exit 1; }
	if [ -n "$over" ]; then
		put "${key}_rsync_sent" "$(cat "$ws"/stats."$key".* | sed -n 's/^Total bytes sent: //p' | tr -d , | paste -sd+ | bc)"
		put "${key}_rsync_recv" "$(cat "$ws"/stats."$key".* | sed -n 's/^Total bytes received: //p' | tr -d , | paste -sd+ | bc)"
	fi
	check_nodes "$dir" "$v"
}

# bare_swap dir version: per node, in parallel, ln -s + mv -T
bare_swap() {
	local i pids=()
	for i in $(seq "$nodes"); do
		(cd "$1/n$i" && ln -s "releases/$2" current.new && mv -T current.new current) &
		pids+=($!)
	done
	for p in "${pids[@]}"; do wait "$p"; done
}

# --- Ansible ------------------------------------------------------------------------
an=$ws/ansible
if [ "$use_ansible" = 1 ]; then
	mkdir -p "$an/tmp" "$an/home"
	{
		echo "[nodes]"
		for i in $(seq "$nodes"); do echo "n$i root=$ws/nodes/ansible/n$i"; done
		printf '[nodes:vars]\nansible_connection=local\nansible_python_interpreter=/usr/bin/python3\n'
	} >"$an/hosts"
	cat >"$an/ansible.cfg" <<EOT
[defaults]
inventory = $an/hosts
forks = $nodes
gathering = explicit
retry_files_enabled = False
local_tmp = $an/tmp
remote_tmp = $an/tmp
interpreter_python = /usr/bin/python3
EOT
fi
# ansible_step key playbook version: one timed ansible-playbook run
ansible_step() {
	local t0
	sync
	t0=$(now)
	if ! HOME=$an/home ANSIBLE_CONFIG=$an/ansible.cfg ansible-playbook "$top/bench/deploy/$2" \
		-e "version=$3" -e "release_src=$rel/$3" >"$an/$1.log" 2>&1; then
		echo "bench: ansible $1 failed:"
		tail -30 "$an/$1.log"
		exit 1
	fi
	put "$1" "$(since "$t0")"
}

echo "== deploy: $nodes nodes, bundle $bundle_bytes bytes (133 MB + 25 MB binaries, 300 assets, 100 docs)," \
    "version 2 changes $changed_bytes bytes of the big binary ($nchanged x 64 KiB) and 3 assets; $(nproc) cores"

# --- version 1 ------------------------------------------------------------------------
build_version "$V1"
say "v1 local"
bare bare_v1_local_a "$ws/bare-a" "$V1"
sando_step sando_v1_local promote local
check_nodes "$ws/nodes/local" "$V1"
[ "$use_ansible" = 0 ] || ansible_step ansible_v1 ansible-deploy.yml "$V1"
[ "$use_ansible" = 0 ] || check_nodes "$ws/nodes/ansible" "$V1"
bare bare_v1_local_b "$ws/bare-b" "$V1"
say "v1 ssh"
bare bare_v1_ssh_a "$ws/bare-ssh-a" "$V1" "" ssh
sando_step sando_v1_ssh promote ssh
check_nodes "$ws/nodes/ssh" "$V1"
bare bare_v1_ssh_b "$ws/bare-ssh-b" "$V1" "" ssh
say "v1 local, verify = sha256"
sando_step sando_v1_local_sha promote local-sha256
say "v1 ssh, verify = sha256"
sando_step sando_v1_ssh_sha promote ssh-sha256
close_masters

# --- version 2 ------------------------------------------------------------------------
for i in 7 150 299; do
	f=$app/$(asset_path "$i")
	stream "asset2-$i" $(($(stat -c %s "$f") + 100)) >"$f"
done
echo "$V2" >"$app/VERSION"
commit v2
build_version "$V2"
say "v2 local"
bare bare_v2_local_a "$ws/bare-a" "$V2" "$V1"
sando_step sando_v2_local promote local
check_nodes "$ws/nodes/local" "$V2"
[ "$use_ansible" = 0 ] || ansible_step ansible_v2 ansible-deploy.yml "$V2"
[ "$use_ansible" = 0 ] || check_nodes "$ws/nodes/ansible" "$V2"
bare bare_v2_local_b "$ws/bare-b" "$V2" "$V1"
say "v2 ssh"
close_masters
bare bare_v2_ssh_a "$ws/bare-ssh-a" "$V2" "$V1" ssh
sando_step sando_v2_ssh promote ssh
check_nodes "$ws/nodes/ssh" "$V2"
bare bare_v2_ssh_b "$ws/bare-ssh-b" "$V2" "$V1" ssh
say "v2 local, verify = sha256"
sando_step sando_v2_local_sha promote local-sha256
say "v2 ssh, verify = sha256"
close_masters
sando_step sando_v2_ssh_sha promote ssh-sha256
check_nodes "$ws/nodes/ssh-sha256" "$V2"

# --- disk ------------------------------------------------------------------------------
# du counts a hard-linked file once per invocation: "releases" = both versions;
# the second line of "du v1 v2" = what v2 adds
disk() { # key node-dir
	put "disk_$1_both" "$(du -s -B1 "$2/releases" | cut -f1)"
	put "disk_$1_v2" "$(du -s -B1 "$2/releases/$V1" "$2/releases/$V2" | sed -n 2p | cut -f1)"
	put "disk_$1_apparent" "$(du -s -B1 --apparent-size "$2/releases" | cut -f1)"
	put "disk_$1_linked" "$(find "$2/releases/$V2" -type f -links +1 | wc -l)"
	put "disk_$1_files" "$(find "$2/releases/$V2" -type f | wc -l)"
}
sync
disk sando "$ws/nodes/local/n1"
disk bare "$ws/bare-a/n1"
disk sando_ssh "$ws/nodes/ssh/n1"
disk bare_ssh "$ws/bare-ssh-a/n1"
[ "$use_ansible" = 0 ] || disk ansible "$ws/nodes/ansible/n1"

# --- rollback --------------------------------------------------------------------------
say "rollback local x $rollbacks"
for r in $(seq "$rollbacks"); do
	v=$V1
	[ $((r % 2)) -eq 0 ] && v=$V2
	t0=$(now)
	bare_swap "$ws/bare-a" "$v"
	echo "$(since "$t0")" >>"$ws/bare_rb"
	sleep 0.1
done
put bare_rollback "$(sort -n "$ws/bare_rb" | awk '{a[NR] = $1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}')"
sando_step sando_rollback rollback local "$rollbacks"
if [ "$use_ansible" = 1 ]; then
	ansible_step ansible_rollback ansible-rollback.yml "$V1"
	check_nodes "$ws/nodes/ansible" "$V1"
fi
say "rollback ssh x $rollbacks (masters closed before the first)"
close_masters
sando_step sando_rollback_ssh rollback ssh "$rollbacks"

# node events whose JSON "kind" is the promote's kind, not deploy_* (see api.py)
put events_node "$(jq -s '[.[] | select(.deploy_id)] | length' "$ws/events.jsonl")"
put events_node_clobbered "$(jq -s '[.[] | select(.deploy_id and (.kind == "promote" or .kind == "rollback"))] | length' "$ws/events.jsonl")"
put events_table_deploy "$(sqlite3 "$ws/sando.db" "SELECT count(*) FROM events WHERE kind LIKE 'deploy_%' AND json_extract(body_json, '\$.kind') IN ('promote', 'rollback')")"

# --- report ----------------------------------------------------------------------------------
python3 - "$res" "$nodes" "$rollbacks" "$use_ansible" <<'EOF'
import sys
r = {}
for line in open(sys.argv[1]):
    k, v = line.split()
    r[k] = float(v)
nodes, rollbacks, ansible = int(sys.argv[2]), int(sys.argv[3]), sys.argv[4] == "1"
MB = 1e6
def bare(k):
    return (r[k + "_a"] + r[k + "_b"]) / 2
print()
print("staging (push -> first tier has it): v1 %.2f s, v2 %.2f s" % (r["stage_1.0.0"], r["stage_2.0.0"]))
print()
print("step                      | bare A  | bare B  | sando   | sando/bare | sha256  | sha256/bare | nodes done (first..last)")
for name, b, s, sha in [("v1, local", "bare_v1_local", "sando_v1_local", "sando_v1_local_sha"),
                        ("v2, local", "bare_v2_local", "sando_v2_local", "sando_v2_local_sha"),
                        ("v1, ssh", "bare_v1_ssh", "sando_v1_ssh", "sando_v1_ssh_sha"),
                        ("v2, ssh", "bare_v2_ssh", "sando_v2_ssh", "sando_v2_ssh_sha")]:
    m = bare(b)
    print("%-25s | %6.3fs | %6.3fs | %6.3fs | %9.2fx | %6.3fs | %10.2fx | %.2f..%.2f s" % (
        name, r[b + "_a"], r[b + "_b"], r[s], r[s] / m, r[sha], r[sha] / m,
        r[s + "_first_node"], r[s + "_last_node"]))
print()
print("v2 over ssh, bytes on the loopback interface (both directions, headers included):")
print("  bare A %.2f MB, bare B %.2f MB; sando %.2f MB (%.3fx of their mean); sando with sha256 %.2f MB" % (
    r["bare_v2_ssh_a_lo"] / MB, r["bare_v2_ssh_b_lo"] / MB, r["sando_v2_ssh_lo"] / MB,
    r["sando_v2_ssh_lo"] / ((r["bare_v2_ssh_a_lo"] + r["bare_v2_ssh_b_lo"]) / 2),
    r["sando_v2_ssh_sha_lo"] / MB))
print("  rsync --stats of the bare runs, all %d nodes: sent %.2f MB, received %.2f MB (A); sent %.2f MB, received %.2f MB (B)" % (
    nodes, r["bare_v2_ssh_a_rsync_sent"] / MB, r["bare_v2_ssh_a_rsync_recv"] / MB,
    r["bare_v2_ssh_b_rsync_sent"] / MB, r["bare_v2_ssh_b_rsync_recv"] / MB))
print("  v1 over ssh: bare A %.1f MB, sando %.1f MB on loopback" % (r["bare_v1_ssh_a_lo"] / MB, r["sando_v1_ssh_lo"] / MB))
print()
print("disk on node 1 after v2 (du -B1; hard links counted once):")
print("  who        | both versions | v2 adds   | apparent (both) | v2 files hard-linked")
for who in ["sando", "bare", "sando_ssh", "bare_ssh"] + (["ansible"] if ansible else []):
    print("  %-10s | %10.2f MB | %6.2f MB | %12.2f MB | %d of %d" % (
        who, r["disk_%s_both" % who] / MB, r["disk_%s_v2" % who] / MB,
        r["disk_%s_apparent" % who] / MB, r["disk_%s_linked" % who], r["disk_%s_files" % who]))
print()
print("rollback, %d nodes, median of %d (API call -> 'rollback' event): local %.1f ms (min %.1f, max %.1f; 202 after %.1f ms);"
      " ssh %.1f ms (max %.1f); bare ln -s + mv -T in parallel %.1f ms" % (
    nodes, rollbacks, r["sando_rollback"] * 1e3, r["sando_rollback_min"] * 1e3, r["sando_rollback_max"] * 1e3,
    r["sando_rollback_accepted"] * 1e3, r["sando_rollback_ssh"] * 1e3, r["sando_rollback_ssh_max"] * 1e3,
    r["bare_rollback"] * 1e3))
if ansible:
    print()
    print("Ansible (synchronize + deploy_helper, forks=%d, connection local): v1 %.2f s (%.2fx bare), v2 %.2f s (%.2fx bare),"
          " rollback %.2f s (%.0fx bare); sando/ansible: v1 %.2f, v2 %.2f, rollback %.3f" % (
        nodes, r["ansible_v1"], r["ansible_v1"] / bare("bare_v1_local"), r["ansible_v2"], r["ansible_v2"] / bare("bare_v2_local"),
        r["ansible_rollback"], r["ansible_rollback"] / r["bare_rollback"],
        r["sando_v1_local"] / r["ansible_v1"], r["sando_v2_local"] / r["ansible_v2"], r["sando_rollback"] / r["ansible_rollback"]))
print()
print("events: %d node events (deploy_start/ok/failed) received; %d of them with \"kind\" \"promote\" or \"rollback\" in their JSON;"
      " %d rows of the events table with kind deploy_* whose body_json says so" % (
    r["events_node"], r["events_node_clobbered"], r["events_table_deploy"]))
print()
print("== summary: local v1 %.2fx, local v2 %.2fx of the bare tools (target <= 1.15x); ssh v2 %.2fx (target <= 0.8x),"
      " its loopback bytes %.3fx (target <= 1.05x); rollback %.1f ms (target < 50 ms); v2 disk %.2f MB vs bare %.2f MB;"
      " sha256 adds %+.2f s local v2, %+.2f s ssh v2" % (
    r["sando_v1_local"] / bare("bare_v1_local"), r["sando_v2_local"] / bare("bare_v2_local"),
    r["sando_v2_ssh"] / bare("bare_v2_ssh"),
    r["sando_v2_ssh_lo"] / ((r["bare_v2_ssh_a_lo"] + r["bare_v2_ssh_b_lo"]) / 2),
    r["sando_rollback"] * 1e3, r["disk_sando_v2"] / MB, r["disk_bare_v2"] / MB,
    r["sando_v2_local_sha"] - r["sando_v2_local"], r["sando_v2_ssh_sha"] - r["sando_v2_ssh"]))
EOF

#!/bin/bash
# Deploy benchmark (issue 5): a real sandod promotes a bundle shaped like a
# real one (a 133 MB and a 25 MB binary, 300 small static files, 100 docs) to
# tiers of 10 nodes, against the bare tools doing the same in the same run:
# per node, all nodes in parallel, `rsync -a --delete [--link-dest=../<prev>]`
# + `ln -s releases/<v> current.new` + `mv -T current.new current`.
#
# Steps, each timed on both sides (sando: from just before the POST to the
# arrival of the promote_complete / rollback event on `sando events --json`,
# see bench/deploy/api.py; bare: from the first fork to the last exit):
#   1. version 1 to 10 local nodes (directories);
#   2. version 2 (41 scattered 64 KiB blocks = 2% of the big binary, and 3
#      assets, changed) to the same nodes;
#   3. versions 1 and 2 to 10 ssh nodes (one sshd on loopback,
#      tests/system/sshd.bash, each node its own release_root); sandod's ssh
#      masters are closed before each ssh promote, so it opens its
#      connections like the first promote of the day; the bare tools open
#      their own (rsync -e ssh, then ssh for ln + mv); bytes on the loopback
#      interface for both, and rsync's own --stats for the bare tools;
#   4. rollback of the 10 local nodes, ROLLBACKS times back and forth;
#   5. disk used by a node holding both versions (du counts hard links once);
#   6. the same with `verify = "sha256"` on the tier (one run each, local
#      and ssh);
#   7. the three local steps with Ansible (ansible.posix.synchronize +
#      community.general.deploy_helper, forks = 10, connection local; one
#      run each), when ansible-playbook is installed (Debian's `ansible`).
# Each comparison runs REPS times, sando and the bare tools alternating
# which goes first, each run into nodes of its own (sando: one tier per run);
# the bare tools copy the staged release directories (<release_root>/<v>/,
# the same files and times sando sends).  `sync` before every timed run.
# Figures are medians over the runs, ratios medians over medians.  Besides
# wall time, the CPU time (user + sys) of everything each side ran: the bare
# side's from this shell's waited-for children, sando's from sandod's own and
# its children's, plus its detached ssh masters (read before they are
# closed), plus for ssh the node side's (the sshd listener's children);
# on a shared 2-core VM it moves less than wall time, not much less.
# Needs about 30 GB of disk in TMPDIR with REPS=3 (sets of 10 nodes are
# removed once their last step is done).
# Prints figures, never fails on them (only when a deploy itself fails).
#
# usage: bench/deploy.sh [BUILD_DIR]
#   env: REPS (3), NODES (10), ROLLBACKS (10), ANSIBLE (1; 0 skips it),
#        SSH_RC (1: the ssh nodes' sessions run the user's ~/.bashrc, see below),
#        KEEP (set: keep the workspace), PERF (see perf_start), STRACE (set: sandod runs under
#        strace -f, execve and exit_group only, into the workspace: for
#        diagnosis, not for figures), VERBOSE (set: sandod -v, its log in
#        the workspace shows when each program it runs starts and ends),
#        WARM (1: before each timed run of version 2, read the nodes' copies
#        of version 1 and the staged release into the page cache, for both
#        sides; 0: leave the cache as it is, see "Page cache" below)
set -eu
# Loopback bytes are counted on "lo": when root, the bench re-runs itself in a
# network namespace of its own (unshare --net), whose lo carries only its
# traffic; otherwise other programs' loopback traffic counts too.
if [ -z "${SANDO_BENCH_NETNS:-}" ] && [ "$(id -u)" = 0 ] && unshare --net true 2>/dev/null; then
	exec unshare --net env SANDO_BENCH_NETNS=1 bash "$0" "$@"
fi
if [ "${SANDO_BENCH_NETNS:-}" = 1 ]; then
	ip link set lo up
	netns="a network namespace of its own"
else
	netns="the machine's loopback, shared with other programs (not root: no unshare --net)"
fi
top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-build}
case $build in /*) ;; *) build="$top/$build" ;; esac
reps=${REPS:-3}
nodes=${NODES:-10}
rollbacks=${ROLLBACKS:-10}
sandod=$build/src/daemon/sandod
sando=$build/src/client/sando
[ -x "$sandod" ] && [ -x "$sando" ] || { echo "bench: no sandod/sando in $build"; exit 1; }
use_ansible=${ANSIBLE:-1}
warm_cache=${WARM:-1}
if [ "$use_ansible" = 1 ] && ! command -v ansible-playbook >/dev/null; then
	echo "bench: ansible-playbook not installed (apt-get install ansible): its steps are skipped"
	use_ansible=0
fi

ws=$(mktemp -d "${TMPDIR:-/tmp}/sando-bench-deploy.XXXXXX")
pid=
cleanup() {
	set +e
	local s c
	for s in "$ws"/work/ssh/*; do
		[ -S "$s" ] && ssh -o ControlPath="$s" -O exit x >/dev/null 2>&1
	done
	if [ -n "$pid" ]; then
		# under STRACE, $pid is strace's: stop its child, sandod
		for c in $(pgrep -P "$pid"); do kill "$c" 2>/dev/null; done
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
# CPU time in clock ticks (/proc/PID/stat): a process's own (utime + stime),
# and its waited-for children's (cutime + cstime: a child's count includes
# the children it waited for, so a whole tree ends up in its parent's)
clk=$(getconf CLK_TCK)
cpu_self() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0; }
cpu_children() { awk '{print $16 + $17}' "/proc/$1/stat" 2>/dev/null || echo 0; }
cpu_all() { echo $(($(cpu_self "$1") + $(cpu_children "$1"))); }
sshd_cpu() { cpu_children "$(cat "$SSHD_DIR/sshd.pid")"; }
ticks_s() { awk -v t="$1" -v c="$clk" 'BEGIN {printf "%.2f", t / c}'; }

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
# The nodes' login shell: bash sources ~/.bashrc for a command run by sshd
# (SSH_CLIENT set, SHLVL below 2); a .bashrc that runs `pyenv init` (as
# root's does on the VM these figures come from) adds ~0.3 s to every
# session and prints to stderr when sessions race.  Unless SSH_RC=1, sshd sets
# SHLVL=1 so that the nodes behave like a plain deploy account; each step of
# either side pays one session start per connection or multiplexed session.
if [ "${SSH_RC:-}" != 1 ]; then
	echo "SetEnv SHLVL=1" >>"$SSHD_DIR/sshd_config"
	kill -HUP "$(cat "$SSHD_DIR/sshd.pid")"
	for _ in $(seq 100); do
		[ "$(sshd_ssh -o ConnectTimeout=5 'echo $SHLVL' 2>/dev/null)" = 2 ] && break
		sleep 0.05
	done
	node_rc="SHLVL=1 set by sshd: bash skips ~/.bashrc"
else
	node_rc="the user's ~/.bashrc runs in every session (SSH_RC=1)"
fi
t0=$(now)
for _ in 1 2 3 4 5; do sshd_ssh true; done
ssh_session=$(awk -v a="$t0" -v b="$(now)" 'BEGIN {printf "%.0f", (b - a) / 5 * 1000}')
node_block() { # name target root
	printf '[[tier.node]]\nname = "%s"\nssh_target = "%s"\nrelease_root = "%s"\n' "$1" "$2" "$3"
}
tier_block() { # name kind(local|ssh) [verify]
	printf '[[tier]]\nname = "%s"\ncanary = "parallel"\nmax_parallel = %d\n' "$1" "$nodes"
	[ -z "${3:-}" ] || printf 'verify = "%s"\n' "$3"
	for i in $(seq "$nodes"); do
		if [ "$2" = local ]; then
			node_block "$1-n$i" local "$ws/nodes/$1/n$i"
		else
			node_block "$1-n$i" "$SSH_TARGET" "$ws/nodes/$1/n$i"
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
# a chain: every tier's predecessor has the version before it is promoted
{
	printf '[repo]\nbare_path = "%s/repo.git"\n[[tier]]\nname = "build"\n' "$ws"
	for r in $(seq "$reps"); do tier_block "local-$r" local; done
	for r in $(seq "$reps"); do tier_block "ssh-$r" ssh; done
	tier_block local-sha256 local sha256
	tier_block ssh-sha256 ssh sha256
} >"$ws/sando.toml"
if [ -n "${STRACE:-}" ]; then
	# diagnosis: when each program sandod runs starts and ends
	strace -f -ttt -q --seccomp-bpf -e trace=execve,exit_group -o "$ws/strace" \
	    "$sandod" --config "$ws/daemon.toml" 2>"$ws/sandod.log" &
else
	# VERBOSE=1: debug lines (each program's start and end, ms stamps)
	"$sandod" --config "$ws/daemon.toml" ${VERBOSE:+-v} 2>"$ws/sandod.log" &
fi
pid=$!
for _ in $(seq 200); do grep -q 'ready: listening' "$ws/sandod.log" && break; sleep 0.05; done
dpid=$pid
[ -z "${STRACE:-}" ] || dpid=$(pgrep -P "$pid" | head -1)
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
# Prints the CPU ticks the masters used (they are nobody's children once
# detached: read before they exit).
# After a promote, sandod still prunes old releases (one more ssh session a
# node, after promote_complete): wait until it runs no program (at most 10 s),
# or the pruning would open new masters while the next run is timed.
close_masters() {
	local s m ticks=0 i
	sleep 0.05
	for i in $(seq 200); do
		[ -n "$(pgrep -P "$dpid")" ] || break
		sleep 0.05
	done
	for s in "$ws"/work/ssh/*; do
		[ -S "$s" ] || continue
		m=$(ssh -o ControlPath="$s" -O check x 2>&1 | sed -n 's/.*pid=\([0-9]*\).*/\1/p')
		[ -z "$m" ] || ticks=$((ticks + $(cpu_self "$m")))
		ssh -o ControlPath="$s" -O exit x >/dev/null 2>&1 || true
	done
	sleep 0.3 # sshd reaps the masters' connections
	echo "$ticks"
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

# Page cache.  The bench's nodes share one disk and one page cache, which real
# nodes do not, and this VM's kernel pages out file pages idle for a minute
# (DAMON reclaim): by the time version 2 is sent, the nodes' copies of
# version 1 (10 x 158 MB) are back on disk, and both sides spend most of the
# step reading them (~350 MB/s), each run at whatever speed the shared disk
# gives it.  A real node reads only its own copy, from its own disk, often
# still cached (it is the running release).  So with WARM=1 the files a run
# reads are read once just before its clock starts, on both sides alike.
# The VM also reports free memory back to its host (virtio-balloon free page
# reporting): memory freed a few seconds earlier (an rm -rf, the kernel's
# pageout) costs the next writer a host fault per page, and a receiver's
# write of the 133 MB file then takes 0.3-0.5 s of system time instead of
# 0.05-0.1 s (strace: 704 instead of 72 us per 256 KiB write), whichever side
# it is.  So warm also touches and frees 3 GB (when there is room) right
# before the clock starts, on both sides alike.
# warm dir version [version]: the nodes' releases/<version> and the staged ones
warm() {
	[ "$warm_cache" = 1 ] || return 0
	local d=$1
	shift
	local v
	for v in "$@"; do
		find "$rel/$v" "$d"/n*/releases/"$v" -type f -exec cat {} + >/dev/null 2>&1 || true
	done
	if [ "$(awk '/^MemAvailable:/ {print $2}' /proc/meminfo)" -gt $((6 << 20)) ]; then
		python3 -c 'b = b"\1" * (3 << 30)'
	fi
}

# PERF=PATTERN: record the whole machine with perf while a step whose key
# holds PATTERN runs (into the workspace, perf.KEY.data; with KEEP=1 to read
# them: perf report -i FILE --sort comm); for diagnosis, not for figures
perf_pid=
perf_start() {
	[ -n "${PERF:-}" ] && [[ $1 == *"$PERF"* ]] || return 0
	perf record -a -F 499 -o "$ws/perf.${1//#/_}.data" >/dev/null 2>&1 &
	perf_pid=$!
	sleep 0.5
}
perf_stop() {
	[ -n "$perf_pid" ] || return 0
	kill -INT "$perf_pid"
	wait "$perf_pid" || true
	perf_pid=
}

# sando_step key action tier [repeat]: run api.py, keep its figures
sando_step() {
	local key=$1 out=$ws/api.$1 c0 s0 m
	sync
	perf_start "$key"
	c0=$(cpu_all "$dpid")
	s0=$(sshd_cpu)
	if ! API_EVENTS_LOG=$ws/events.jsonl python3 "$top/bench/deploy/api.py" \
		"$sando" "$url" "$ws/sando.db" "$2" "$3" "${4:-1}" >"$out"; then
		echo "bench: $2 of tier $3 failed:"
		cat "$out"
		tail -20 "$ws/sandod.log"
		exit 1
	fi
	# CPU: sandod and what it ran, its ssh masters, the node side (sshd's)
	m=$(close_masters)
	put "${key%%#*}_cpu${key#"${key%%#*}"}" "$(ticks_s $(($(cpu_all "$dpid") - c0 + m + $(sshd_cpu) - s0)))"
	perf_stop
	python3 - "$out" "$key" >>"$res" <<'EOF'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
k, _, rep = sys.argv[2].partition("#")
for i, r in enumerate(rows):
    sfx = "#%d" % (i + 1) if len(rows) > 1 else ("#" + rep if rep else "")
    print("%s%s %.4f" % (k, sfx, r["total_s"]))
    print("%s_accepted%s %.4f" % (k, sfx, r["accepted_s"]))
    if r.get("last_node_s") is not None:
        print("%s_first_node%s %.4f" % (k, sfx, r["first_node_s"]))
        print("%s_last_node%s %.4f" % (k, sfx, r["last_node_s"]))
    print("%s_lo%s %d" % (k, sfx, r["lo_bytes"]))
EOF
}

# --- the bare tools ---------------------------------------------------------------
# bare key dir version [link-dest version] [ssh]: per node, in parallel:
# rsync + ln -s + mv -T; locally or over ssh (each command its own connection).
# The nodes' releases/ directories are made before the clock starts.
bare() {
	local key=$1 dir=$2 v=$3 prev=${4:-} over=${5:-} i d t0 b0 c0 s0 fail=0
	local pids=()
	for i in $(seq "$nodes"); do mkdir -p "$dir/n$i/releases"; done
	sync
	c0=$(cpu_children $$)
	s0=$(sshd_cpu)
	b0=$(lo_bytes)
	perf_start "$key"
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
	put "${key%%#*}_lo${key#"${key%%#*}"}" $(($(lo_bytes) - b0))
	[ "$fail" = 0 ] || { echo "bench: bare $key failed"; exit 1; }
	# CPU: what this shell ran and waited for, the node side (sshd's)
	[ -z "$over" ] || sleep 0.3
	put "${key%%#*}_cpu${key#"${key%%#*}"}" "$(ticks_s $(($(cpu_children $$) - c0 + $(sshd_cpu) - s0)))"
	perf_stop
	if [ -n "$over" ]; then
		put "${key%%#*}_rsync_sent${key#"${key%%#*}"}" "$(sed -n 's/^Total bytes sent: //p' "$ws"/stats."$key".* | tr -d , | paste -sd+ | bc)"
		put "${key%%#*}_rsync_recv${key#"${key%%#*}"}" "$(sed -n 's/^Total bytes received: //p' "$ws"/stats."$key".* | tr -d , | paste -sd+ | bc)"
		rm -f "$ws"/stats."$key".*
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
	local t0 c0
	sync
	c0=$(cpu_children $$)
	t0=$(now)
	if ! HOME=$an/home ANSIBLE_CONFIG=$an/ansible.cfg ansible-playbook "$top/bench/deploy/$2" \
		-e "version=$3" -e "release_src=$rel/$3" >"$an/$1.log" 2>&1; then
		echo "bench: ansible $1 failed:"
		tail -30 "$an/$1.log"
		exit 1
	fi
	put "$1" "$(since "$t0")"
	put "$1_cpu" "$(ticks_s $(($(cpu_children $$) - c0)))"
}

# One comparison, REPS times, alternating which side goes first.
# local_pair version [prev]; ssh_pair version [prev]
local_pair() {
	local r v=$1 prev=${2:-} tag=v${1%%.*}
	for r in $(seq "$reps"); do
		say "$tag local, run $r of $reps"
		if [ $((r % 2)) -eq 1 ]; then
			warm "$ws/bare/local-$r" "$v" ${prev:+"$prev"}
			bare "bare_${tag}_local#$r" "$ws/bare/local-$r" "$v" "$prev"
		fi
		warm "$ws/nodes/local-$r" "$v" ${prev:+"$prev"}
		sando_step "sando_${tag}_local#$r" promote "local-$r"
		check_nodes "$ws/nodes/local-$r" "$v"
		if [ $((r % 2)) -eq 0 ]; then
			warm "$ws/bare/local-$r" "$v" ${prev:+"$prev"}
			bare "bare_${tag}_local#$r" "$ws/bare/local-$r" "$v" "$prev"
		fi
		# a run's nodes are kept for the next step only where needed
		if [ -n "$prev" ] && [ "$r" -gt 1 ]; then rm -rf "$ws/bare/local-$r" "$ws/nodes/local-$r"; fi
	done
}
ssh_pair() {
	local r v=$1 prev=${2:-} tag=v${1%%.*}
	for r in $(seq "$reps"); do
		say "$tag ssh, run $r of $reps"
		if [ $((r % 2)) -eq 1 ]; then
			warm "$ws/bare/ssh-$r" "$v" ${prev:+"$prev"}
			bare "bare_${tag}_ssh#$r" "$ws/bare/ssh-$r" "$v" "$prev" ssh
		fi
		close_masters >/dev/null
		warm "$ws/nodes/ssh-$r" "$v" ${prev:+"$prev"}
		sando_step "sando_${tag}_ssh#$r" promote "ssh-$r"
		check_nodes "$ws/nodes/ssh-$r" "$v"
		if [ $((r % 2)) -eq 0 ]; then
			warm "$ws/bare/ssh-$r" "$v" ${prev:+"$prev"}
			bare "bare_${tag}_ssh#$r" "$ws/bare/ssh-$r" "$v" "$prev" ssh
		fi
		if [ -n "$prev" ] && [ "$r" -gt 1 ]; then rm -rf "$ws/bare/ssh-$r" "$ws/nodes/ssh-$r"; fi
	done
}

echo "== deploy: $nodes nodes, $reps runs per comparison, loopback: $netns; bundle $bundle_bytes bytes" \
    "(133 MB + 25 MB binaries, 300 assets, 100 docs); version 2 changes $changed_bytes bytes of the big binary" \
    "($nchanged x 64 KiB) and 3 assets; $(nproc) cores"
echo "ssh nodes: $node_rc; \`ssh host true\` takes $ssh_session ms (mean of 5)"
if [ "$warm_cache" = 1 ]; then
	echo "page cache: the files each run reads are read, and 3 GB of memory touched, before its clock starts (WARM=1)"
else
	echo "page cache: left as it is (WARM=0): the nodes' version 1 may be read from disk"
fi

# --- version 1 ------------------------------------------------------------------------
build_version "$V1"
local_pair "$V1"
if [ "$use_ansible" = 1 ]; then
	say "v1 ansible"
	ansible_step ansible_v1 ansible-deploy.yml "$V1"
	check_nodes "$ws/nodes/ansible" "$V1"
fi
ssh_pair "$V1"
say "v1 local, verify = sha256"
sando_step sando_v1_local_sha promote local-sha256
check_nodes "$ws/nodes/local-sha256" "$V1"
say "v1 ssh, verify = sha256"
close_masters >/dev/null
sando_step sando_v1_ssh_sha promote ssh-sha256
check_nodes "$ws/nodes/ssh-sha256" "$V1"

# --- version 2 ------------------------------------------------------------------------
for i in 7 150 299; do
	f=$app/$(asset_path "$i")
	stream "asset2-$i" $(($(stat -c %s "$f") + 100)) >"$f"
done
echo "$V2" >"$app/VERSION"
commit v2
build_version "$V2"
local_pair "$V2" "$V1"
if [ "$use_ansible" = 1 ]; then
	say "v2 ansible"
	warm "$ws/nodes/ansible" "$V2" "$V1"
	ansible_step ansible_v2 ansible-deploy.yml "$V2"
	check_nodes "$ws/nodes/ansible" "$V2"
fi
ssh_pair "$V2" "$V1"
say "v2 local, verify = sha256"
warm "$ws/nodes/local-sha256" "$V2" "$V1"
sando_step sando_v2_local_sha promote local-sha256
check_nodes "$ws/nodes/local-sha256" "$V2"
rm -rf "$ws/nodes/local-sha256"
say "v2 ssh, verify = sha256"
close_masters >/dev/null
warm "$ws/nodes/ssh-sha256" "$V2" "$V1"
sando_step sando_v2_ssh_sha promote ssh-sha256
check_nodes "$ws/nodes/ssh-sha256" "$V2"
rm -rf "$ws/nodes/ssh-sha256"

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
disk sando "$ws/nodes/local-1/n1"
disk bare "$ws/bare/local-1/n1"
disk sando_ssh "$ws/nodes/ssh-1/n1"
disk bare_ssh "$ws/bare/ssh-1/n1"
[ "$use_ansible" = 0 ] || disk ansible "$ws/nodes/ansible/n1"

# --- rollback --------------------------------------------------------------------------
say "rollback local x $rollbacks"
for r in $(seq "$rollbacks"); do
	v=$V1
	[ $((r % 2)) -eq 0 ] && v=$V2
	t0=$(now)
	bare_swap "$ws/bare/local-1" "$v"
	put "bare_rollback#$r" "$(since "$t0")"
	sleep 0.1
done
sando_step sando_rollback rollback local-1 "$rollbacks"
if [ "$use_ansible" = 1 ]; then
	say "rollback ansible"
	ansible_step ansible_rollback ansible-rollback.yml "$V1"
	check_nodes "$ws/nodes/ansible" "$V1"
fi
say "rollback ssh x $rollbacks (masters closed before the first)"
close_masters >/dev/null
sando_step sando_rollback_ssh rollback ssh-1 "$rollbacks"

# node events whose JSON "kind" is the promote's kind, not deploy_* (see api.py)
put events_node "$(jq -s '[.[] | select(.deploy_id)] | length' "$ws/events.jsonl")"
put events_node_clobbered "$(jq -s '[.[] | select(.deploy_id and (.kind == "promote" or .kind == "rollback"))] | length' "$ws/events.jsonl")"
put events_table_deploy "$(sqlite3 "$ws/sando.db" "SELECT count(*) FROM events WHERE kind LIKE 'deploy_%' AND json_extract(body_json, '\$.kind') IN ('promote', 'rollback')")"

# --- report ----------------------------------------------------------------------------------
python3 - "$res" "$nodes" "$reps" "$rollbacks" "$use_ansible" <<'EOF'
import statistics, sys
runs = {}
for line in open(sys.argv[1]):
    k, v = line.split()
    name, _, rep = k.partition("#")
    runs.setdefault(name, []).append(float(v))
nodes, reps, rollbacks, ansible = int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5] == "1"
med = lambda k: statistics.median(runs[k])
one = lambda k: runs[k][0]
ls = lambda k, f="%.2f": " ".join(f % x for x in runs[k])
MB = 1e6
print()
print("staging (push -> first tier has it): v1 %.2f s, v2 %.2f s" % (one("stage_1.0.0"), one("stage_2.0.0")))
print()
print("time in s; each run's figure, then the median; sando: POST -> promote_complete (last node's deploy_ok)")
print("step      | bare tools                  | sando                       | sando/bare | sha256 (1 run) | sha256/bare")
for name, tag in [("v1 local", "v1_local"), ("v2 local", "v2_local"), ("v1 ssh", "v1_ssh"), ("v2 ssh", "v2_ssh")]:
    b, s, sha = "bare_" + tag, "sando_" + tag, "sando_%s_sha" % tag
    print("%-9s | %-18s = %6.3f | %-18s = %6.3f | %9.2fx | %6.3f (%+.2f) | %10.2fx" % (
        name, ls(b), med(b), ls(s), med(s), med(s) / med(b), one(sha), one(sha) - med(s), one(sha) / med(b)))
print("CPU s (user + sys of everything each side ran, node side included; median of the runs):")
for name, tag in [("v1 local", "v1_local"), ("v2 local", "v2_local"), ("v1 ssh", "v1_ssh"), ("v2 ssh", "v2_ssh")]:
    b, s, sha = "bare_%s_cpu" % tag, "sando_%s_cpu" % tag, "sando_%s_sha_cpu" % tag
    print("  %-9s bare %s = %.2f; sando %s = %.2f (%.2fx); sha256 %.2f" % (
        name, ls(b), med(b), ls(s), med(s), med(s) / med(b), one(sha)))
print("  sando, last node's deploy_ok: " + "; ".join("%s %s" % (t, ls("sando_%s_last_node" % t)) for t in ["v1_local", "v2_local", "v1_ssh", "v2_ssh"]))
print()
print("v2 over ssh, bytes on the loopback interface (both directions, headers included), all %d nodes:" % nodes)
print("  bare tools %s MB (median %.2f); sando %s MB (median %.2f): %.3fx; sando with sha256 %.2f MB" % (
    " ".join("%.2f" % (x / MB) for x in runs["bare_v2_ssh_lo"]),
    med("bare_v2_ssh_lo") / MB, " ".join("%.2f" % (x / MB) for x in runs["sando_v2_ssh_lo"]),
    med("sando_v2_ssh_lo") / MB, med("sando_v2_ssh_lo") / med("bare_v2_ssh_lo"), one("sando_v2_ssh_sha_lo") / MB))
print("  rsync --stats of the bare tools' runs: sent %.2f MB, received %.2f MB (median)" % (
    med("bare_v2_ssh_rsync_sent") / MB, med("bare_v2_ssh_rsync_recv") / MB))
print("  v1 over ssh: bare tools %.1f MB, sando %.1f MB on loopback (%.3fx); rsync sent %.1f MB" % (
    med("bare_v1_ssh_lo") / MB, med("sando_v1_ssh_lo") / MB, med("sando_v1_ssh_lo") / med("bare_v1_ssh_lo"),
    med("bare_v1_ssh_rsync_sent") / MB))
print()
print("disk on node 1 after v2 (du -B1; hard links counted once):")
print("  who        | both versions | v2 adds   | apparent (both) | v2 files hard-linked")
for who in ["sando", "bare", "sando_ssh", "bare_ssh"] + (["ansible"] if ansible else []):
    print("  %-10s | %10.2f MB | %6.2f MB | %12.2f MB | %d of %d" % (
        who, one("disk_%s_both" % who) / MB, one("disk_%s_v2" % who) / MB,
        one("disk_%s_apparent" % who) / MB, one("disk_%s_linked" % who), one("disk_%s_files" % who)))
print()
ms = lambda k: " ".join("%.1f" % (x * 1e3) for x in runs[k])
print("rollback, %d nodes, %d times (ms): sando local (API call -> 'rollback' event) %s; median %.1f, max %.1f; 202 after %.1f (median)" % (
    nodes, rollbacks, ms("sando_rollback"), med("sando_rollback") * 1e3, max(runs["sando_rollback"]) * 1e3,
    med("sando_rollback_accepted") * 1e3))
print("  sando ssh (first with its masters closed) %s; median %.1f" % (ms("sando_rollback_ssh"), med("sando_rollback_ssh") * 1e3))
print("  bare ln -s + mv -T, %d in parallel: %s; median %.1f" % (nodes, ms("bare_rollback"), med("bare_rollback") * 1e3))
print("  CPU of the %d rollbacks: sando local %.2f s, ssh %.2f s" % (rollbacks, one("sando_rollback_cpu"), one("sando_rollback_ssh_cpu")))
if ansible:
    print()
    print("Ansible CPU: v1 %.2f s, v2 %.2f s, rollback %.2f s" % (one("ansible_v1_cpu"), one("ansible_v2_cpu"), one("ansible_rollback_cpu")))
    print("Ansible (synchronize + deploy_helper, forks=%d, connection local; one run each): v1 %.2f s (%.2fx bare), v2 %.2f s (%.2fx bare),"
          " rollback %.2f s (%.0fx bare); sando/Ansible: v1 %.2f, v2 %.2f, rollback %.3f" % (
        nodes, one("ansible_v1"), one("ansible_v1") / med("bare_v1_local"), one("ansible_v2"), one("ansible_v2") / med("bare_v2_local"),
        one("ansible_rollback"), one("ansible_rollback") / med("bare_rollback"),
        med("sando_v1_local") / one("ansible_v1"), med("sando_v2_local") / one("ansible_v2"),
        med("sando_rollback") / one("ansible_rollback")))
print()
print("events: %d node events (deploy_start/ok/failed) received; %d of them with \"kind\" \"promote\" or \"rollback\" in their JSON;"
      " %d rows of the events table with kind deploy_* whose body_json says so" % (
    one("events_node"), one("events_node_clobbered"), one("events_table_deploy")))
print()
print("== summary: local v1 %.2fx, local v2 %.2fx of the bare tools (target <= 1.15x); ssh v2 %.2fx (target <= 0.8x),"
      " its loopback bytes %.3fx (target <= 1.05x); rollback %.1f ms (target < 50 ms); v2 disk %.2f MB vs bare %.2f MB;"
      " sha256 adds %+.2f s local v2, %+.2f s ssh v2" % (
    med("sando_v1_local") / med("bare_v1_local"), med("sando_v2_local") / med("bare_v2_local"),
    med("sando_v2_ssh") / med("bare_v2_ssh"), med("sando_v2_ssh_lo") / med("bare_v2_ssh_lo"),
    med("sando_rollback") * 1e3, one("disk_sando_v2") / MB, one("disk_bare_v2") / MB,
    one("sando_v2_local_sha") - med("sando_v2_local"), one("sando_v2_ssh_sha") - med("sando_v2_ssh")))
EOF

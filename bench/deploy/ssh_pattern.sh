#!/bin/bash
# What connection sharing can save on version 2 over ssh, without sandod:
# NODES nodes behind one loopback sshd (tests/system/sshd.bash), each holding
# version 1; RUNS times, alternating:
#   bare: rsync -a --delete --link-dest=../V1 -e ssh, then ssh ln -s + mv -T
#         (two connections a node);
#   mux:  sandod's sequence on one master a node (ControlMaster=auto,
#         ControlPersist): the probe (mkdir -p, readlink), rsync into
#         V2.partial with --out-format=%n, the find listing, the swap
#         (mv -T, ln -s, mv -T); masters closed after each run.
# Prints wall time and CPU (this shell's children + sshd's children + the
# masters) per run.  Figures only.
#
# usage: bench/deploy/ssh_pattern.sh RELEASES_DIR [RUNS]
#   RELEASES_DIR  holds 1.0.0/ and 2.0.0/ (a staged release_root, e.g. one
#                 kept by KEEP=1 bench/deploy.sh)
#   env: NODES (10), V1 (1.0.0), V2 (2.0.0)
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
rel=$(cd "$1" && pwd)
runs=${2:-5}
nodes=${NODES:-10}
v1=${V1:-1.0.0}
v2=${V2:-2.0.0}
ws=$(mktemp -d "${TMPDIR:-/tmp}/sando-ssh-pattern.XXXXXX")
. "$top/tests/system/sshd.bash"
trap 'sshd_stop; rm -rf "$ws"' EXIT
sshd_start >/dev/null
echo "SetEnv SHLVL=1" >>"$SSHD_DIR/sshd_config" # as bench/deploy.sh: no ~/.bashrc
kill -HUP "$(cat "$SSHD_DIR/sshd.pid")"
sleep 0.5
for i in $(seq "$nodes"); do
	mkdir -p "$ws/n$i/releases"
	rsync -a "$rel/$v1/" "$ws/n$i/releases/$v1/"
done
ticks() { awk '{print $16 + $17}' "/proc/$1/stat"; }
run() { # bare|mux
	local i d o t0 c0 s0 m mc=0 pids=()
	for i in $(seq "$nodes"); do rm -rf "$ws/n$i/releases/$v2" "$ws/n$i/releases/$v2.partial" "$ws/n$i"/current*; done
	sync
	c0=$(ticks $$)
	s0=$(ticks "$(cat "$SSHD_DIR/sshd.pid")")
	t0=$EPOCHREALTIME
	for i in $(seq "$nodes"); do
		d=$ws/n$i
		o="$SSH_OPTS -oControlMaster=auto -oControlPersist=60 -oControlPath=$ws/cm$i"
		# shellcheck disable=SC2086 # option lists
		if [ "$1" = bare ]; then
			(rsync -a --delete "--link-dest=../$v1" -e "ssh $SSH_OPTS" "$rel/$v2/" "$SSH_DEST:$d/releases/$v2/" &&
			    ssh $SSH_OPTS "$SSH_DEST" "cd $d && ln -s releases/$v2 current.new && mv -T current.new current") &
		else
			(ssh $o "$SSH_DEST" "mkdir -p $d/releases; readlink $d/current || true" >/dev/null &&
			    rsync -a --delete --out-format=%n "--link-dest=../$v1" -e "ssh $o" "$rel/$v2/" \
			        "$SSH_DEST:$d/releases/$v2.partial/" >/dev/null &&
			    ssh $o "$SSH_DEST" "find $d/releases/$v2.partial -mindepth 1 -printf '%y %m %s %P\\0%l\\0'" >/dev/null &&
			    ssh $o "$SSH_DEST" "cd $d && mv -T releases/$v2.partial releases/$v2 && ln -s releases/$v2 current.new && mv -T current.new current") &
		fi
		pids+=($!)
	done
	for p in "${pids[@]}"; do wait "$p"; done
	t=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN {printf "%.2f", b - a}')
	if [ "$1" = mux ]; then
		for i in $(seq "$nodes"); do
			m=$(ssh -o ControlPath="$ws/cm$i" -O check x 2>&1 | sed -n 's/.*pid=\([0-9]*\).*/\1/p')
			[ -z "$m" ] || mc=$((mc + $(awk '{print $14 + $15}' "/proc/$m/stat")))
			ssh -o ControlPath="$ws/cm$i" -O exit x 2>/dev/null || true
		done
	fi
	sleep 0.3
	echo "$1 $t s, CPU $(awk -v t=$(($(ticks $$) - c0 + $(ticks "$(cat "$SSHD_DIR/sshd.pid")") - s0 + mc)) -v c="$(getconf CLK_TCK)" 'BEGIN {printf "%.2f", t / c}') s"
}
echo "== v2 over ssh, $nodes nodes, $runs runs each, $(nproc) cores"
for _ in $(seq "$runs"); do
	run bare
	run mux
done

#!/bin/bash
# Staging benchmark (issue 3): stage_run on a ~164 MB bundle (a 133 MB and a
# 25 MB binary, 300 small assets of 0.5-40 KB in nested directories) against the bare
# tools doing the same work in the same run: `cp -a` of the tree, then
# `openssl dgst -sha256` over every file.  The input is generated
# deterministically in a temp dir and read once to warm the page cache (caches
# cannot be dropped here); each side runs RUNS times, after a `sync` so that
# one run's writeback does not land in the next, and the best run counts.
# stage_run ends with a syncfs (durability before the rename), so the bare
# side is also timed ending with `sync -f`, for a like-for-like second ratio.
# Prints figures and the ratio stage/bare, never fails on them.
#
# usage: bench/stage.sh [STAGE_BENCH_BINARY] [RUNS]
#   STAGE_BENCH_BINARY  a built bench/stage_bench.c; default: compiled here with gcc -O2
#   RUNS                runs per side (default 5)
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
driver=${1:-}
runs=${2:-5}

ws=$(mktemp -d "${TMPDIR:-/tmp}/sando-stage-bench.XXXXXX")
trap 'rm -rf "$ws"' EXIT

if [ -z "$driver" ]; then
	driver=$ws/stage_bench
	gcc -std=c17 -D_GNU_SOURCE -O2 -Wall -Wextra -Werror -Wno-unused-parameter -I"$top/src" \
	    "$top"/src/core/{xmalloc,strbuf,strvec,log,fs}.c "$top"/src/daemon/stage*.c \
	    "$top/bench/stage_bench.c" -lcrypto -ljansson -o "$driver"
fi

# Deterministic pseudo-random bytes: AES-128-CTR keystream of a fixed password.
stream() {
	openssl enc -aes-128-ctr -pass "pass:$1" -nosalt -pbkdf2 -iter 1 </dev/zero 2>/dev/null |
	    head -c "$2" || true
}

tree=$ws/tree
mkdir -p "$tree/target/release" "$tree/assets"
stream app 133000000 >"$tree/target/release/app"
stream admin 25000000 >"$tree/target/release/app-admin"
chmod 0755 "$tree/target/release/app" "$tree/target/release/app-admin"
stream assets 16M >"$ws/pool"
off=0
for i in $(seq 0 299); do
	dir=$tree/assets/group$((i % 6))/part$((i % 5))
	[ $((i % 3)) -eq 0 ] && dir=$dir/deep$((i % 4))
	mkdir -p "$dir"
	size=$((512 + (i * 7919) % 40000))
	dd if="$ws/pool" of="$dir/asset$i.dat" bs=64K iflag=skip_bytes,count_bytes \
	    skip=$off count=$size status=none
	off=$((off + size))
done
cat $(find "$tree" -type f) >/dev/null

now() { date +%s%N; }
secs() { echo "scale=3; $1 / 1000000000" | bc | sed 's/^\./0./'; }

# One timed run of each side; $1 = run number, $2 = 1 to end the bare side
# with `sync -f` (what stage_run's syncfs does).  The previous output is
# removed and everything synced before the clock starts; each side removes
# about as many files as it then creates, so the cost ext4 pays for
# allocating inodes next to recently deleted ones falls on both alike.
# (Keeping every run's output instead made this VM's figures drift upward:
# fresh page-cache and disk blocks cost more here than reused ones.)
bare_once() {
	local t0 t1
	rm -rf "$ws/copy"
	sync
	t0=$(now)
	cp -a "$tree" "$ws/copy"
	find "$ws/copy" -type f -print0 | xargs -0 openssl dgst -sha256 >/dev/null
	[ "$2" = 1 ] && sync -f "$ws/copy"
	t1=$(now)
	echo $((t1 - t0)) >>"$ws/bare$2"
}

stage_once() {
	local t0 t1
	rm -rf "$ws/releases"
	mkdir -p "$ws/releases"
	sync
	t0=$(now)
	"$driver" "$tree" "$ws/releases" "1.0.$1" >"$ws/stage.out"
	t1=$(now)
	echo $((t1 - t0)) >>"$ws/stage"
}

# Interleaved, so that drift in the machine's load hits every side alike.
for r in $(seq "$runs"); do
	bare_once "$r" 0
	stage_once "$r"
	bare_once "$r" 1
done
best() { sort -n "$1" | head -1; }
bare=$(best "$ws/bare0")
bare_sync=$(best "$ws/bare1")
stage=$(best "$ws/stage")
read -r _ bytes entries digest <"$ws/stage.out"

echo "input: $(du -sb "$tree" | cut -f1) bytes, $(find "$tree" -type f | wc -l) files"
echo "staged: $bytes bytes, $entries manifest entries, bundle digest $digest"
echo "bare: cp -a + openssl dgst -sha256, best of $runs:            $(secs "$bare") s"
echo "bare + sync -f, best of $runs:                                $(secs "$bare_sync") s"
echo "stage_run: copy + hash + manifest + syncfs, best of $runs:   $(secs "$stage") s"
echo "ratio stage/bare: $(echo "scale=2; $stage / $bare" | bc | sed 's/^\./0./')"
echo "ratio stage/(bare + sync -f): $(echo "scale=2; $stage / $bare_sync" | bc | sed 's/^\./0./')"

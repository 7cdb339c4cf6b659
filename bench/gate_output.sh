#!/bin/bash
# Gate log streaming (issue: "a gate that prints 200 MB"): a real sandod runs
# one command gate whose program (bench/gate_spew.c) prints SIZE_MB MB of
# 128-byte lines, each stamped with CLOCK_MONOTONIC; SUBSCRIBERS WebSocket
# readers of GET /events (bench/gate_sub.c, libc only) and one ?follow=1
# reader (curl -N into gate_sub raw) receive it.  Reports:
#   - whether every reader got every byte in order (chunk seq and offsets
#     contiguous, line numbers consecutive, totals = the log file; the follow
#     copy compared byte for byte with the log),
#   - throughput (MB = 10^6 bytes) and line latency p50/p99/max (arrival minus
#     the line's stamp),
#   - the daemon's CPU time (utime + stime of sandod itself, not of the gate)
#     per 100 MB, and its peak RSS,
#   - the bare tools in the same run: the program writing to /dev/null,
#     piped through cat to a file, and piped into a bare fan-out (gate_sub
#     fanout: append to a file and write to SUBSCRIBERS loopback sockets, the
#     least a daemon has to do with the output) with that fan-out's CPU time.
# Prints figures, never fails on them.  The readers run on the same machine
# as the daemon (2 cores here): their CPU time is printed too.
#
# usage: bench/gate_output.sh [BUILD_DIR]
#   env: SIZE_MB (200), SUBSCRIBERS (10), LINE_LEN (128), WRITE_SIZE (8192,
#        the program's write size), RATE_MBPS (0 = as fast as the pipe takes
#        it), DELAY_MS (1000: the program's pause before its output, so the
#        follow reader is attached when it starts), PIN (unset: no pinning;
#        "1": sandod and its children on core 0, the readers on core 1),
#        KEEP=1 keeps the workspace (readers' stats, the daemon's log)
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-build}
case $build in /*) ;; *) build="$top/$build" ;; esac
size_mb=${SIZE_MB:-200}
nsub=${SUBSCRIBERS:-10}
line_len=${LINE_LEN:-128}
wsize=${WRITE_SIZE:-8192}
rate=${RATE_MBPS:-0}
delay=${DELAY_MS:-1000}
bytes=$((size_mb * 1000000))
sandod="$build/src/daemon/sandod"
[ -x "$sandod" ] || { echo "bench: no sandod in $build"; exit 1; }

ws=$(mktemp -d "${TMPDIR:-/tmp}/sando-bench-gate.XXXXXX")
pid=
readers=()
cleanup() {
	for p in "${readers[@]}"; do kill "$p" 2>/dev/null || true; done
	set +e
	if [ -n "$pid" ]; then
		kill "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	fi
	if [ "${KEEP:-}" = 1 ]; then echo "bench: kept $ws"; else rm -rf "$ws"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM
# PIN=1: sandod (and so the gate) on core 0, the readers on core 1; taskset
# execs its command, so $! is the process itself
pin0=() pin1=()
if [ "${PIN:-}" = 1 ]; then pin0=(taskset -c 0) pin1=(taskset -c 1); fi

cc -O2 -Wall -o "$ws/gate_spew" "$top/bench/gate_spew.c"
cc -O2 -Wall -o "$ws/gate_sub" "$top/bench/gate_sub.c"
spew=("$ws/gate_spew" "$bytes" "$line_len" "$wsize" 0 "$rate")
now() { date +%s.%N; }

echo "== gate output: $size_mb MB in $line_len-byte lines ($wsize-byte writes, rate ${rate:-0} MB/s, 0 = unpaced), $nsub WebSocket subscribers + 1 follow reader, $(nproc) cores, pinning ${PIN:-off}"

# --- the bare tools, same run ---------------------------------------------------
t0=$(now)
"${spew[@]}" >/dev/null 2>"$ws/bare1"
t1=$(now)
"${spew[@]}" 2>"$ws/bare2" | cat >"$ws/cat.out"
t2=$(now)
bare_null=$(awk -v b="$bytes" -v a="$t0" -v z="$t1" 'BEGIN {printf "%.0f", b / 1e6 / (z - a)}')
bare_cat=$(awk -v b="$bytes" -v a="$t1" -v z="$t2" 'BEGIN {printf "%.0f", b / 1e6 / (z - a)}')
rm -f "$ws/cat.out"
# the least a daemon does with the output: read the pipe, append it to a file
# and write it to SUBSCRIBERS loopback TCP connections (gate_sub fanout/sink)
"$ws/gate_sub" sink "$ws/sink.port" "$nsub" &
readers+=($!)
for _ in $(seq 100); do [ -s "$ws/sink.port" ] && break; sleep 0.02; done
t0=$(now)
"${spew[@]}" 2>/dev/null | "$ws/gate_sub" fanout "$(cat "$ws/sink.port")" "$nsub" "$ws/fan.out" 2>"$ws/fan.err"
t1=$(now)
wait "${readers[@]}"
readers=()
bare_fan=$(awk -v b="$bytes" -v a="$t0" -v z="$t1" 'BEGIN {printf "%.0f", b / 1e6 / (z - a)}')
fan_cpu=$(sed -n 's/^fanout: //p' "$ws/fan.err")
rm -f "$ws/fan.out"
echo "bare: program > /dev/null $bare_null MB/s; program | cat > file $bare_cat MB/s;" \
	"program | fan-out to a file + $nsub loopback sockets $bare_fan MB/s, the fan-out's CPU" \
	"$(awk -v c="$fan_cpu" -v b="$bytes" 'BEGIN {printf "%.3f", c / (b / 1e8)}') s per 100 MB"

# --- the daemon ------------------------------------------------------------------
cat >"$ws/daemon.toml" <<EOT
listen = "127.0.0.1:0"
db_path = "sando.db"
topology_path = "sando.toml"
workdir = "work"
release_root = "releases"
logs_root = "logs"
bin_names = ["app"]
[build]
dir = "."
command = ["true"]
artifact_dir = "."
version_from = "VERSION"
EOT
run_argv=$(printf '"%s", ' "$ws/gate_spew" "$bytes" "$line_len" "$wsize" "$delay" "$rate")
cat >"$ws/sando.toml" <<EOT
[repo]
bare_path = "$ws/repo.git"
[[tier]]
name = "build"
gates = [ { kind = "command", name = "spew", run = [ ${run_argv%, } ], timeout_s = 1800 } ]
EOT
"${pin0[@]}" "$sandod" --config "$ws/daemon.toml" 2>"$ws/sandod.log" &
pid=$!
for _ in $(seq 200); do grep -q 'ready: listening' "$ws/sandod.log" && break; sleep 0.05; done
port=$(sed -n 's/.*ready: listening.*(port \([0-9]*\)).*/\1/p' "$ws/sandod.log")
[ -n "$port" ] || { echo "bench: sandod did not start"; cat "$ws/sandod.log"; exit 1; }
url="http://127.0.0.1:$port"

git init -q -b main "$ws/app"
printf '#!/bin/sh\n' >"$ws/app/app"
chmod +x "$ws/app/app"
echo 1.0.0 >"$ws/app/VERSION"
git -C "$ws/app" add -A
git -C "$ws/app" -c user.name=b -c user.email=b@b commit -qm init

for i in $(seq "$nsub"); do
	"${pin1[@]}" "$ws/gate_sub" ws "$port" "$ws/sub.$i" 1800 2>"$ws/sub.$i.err" &
	readers+=($!)
done
for _ in $(seq 200); do
	[ "$(find "$ws" -maxdepth 1 -name 'sub.*.ready' | wc -l)" -ge "$nsub" ] && break
	sleep 0.05
done
sleep 0.3 # the daemon subscribes each on its first replay tick

clk=$(getconf CLK_TCK)
cpu() { awk '{print $14 + $15}' "/proc/$pid/stat"; }       # sandod itself
cpu_children() { awk '{print $16 + $17}' "/proc/$pid/stat"; } # its reaped children: the gate
git -C "$ws/app" push -q "$ws/repo.git" main
run_id=
for _ in $(seq 600); do
	run_id=$(curl -s -m 5 "$url/gate-runs?version=1.0.0" | sed -n 's/^\[{"id":\([0-9]*\).*/\1/p')
	[ -n "$run_id" ] && break
	sleep 0.02
done
[ -n "$run_id" ] || { echo "bench: no gate run"; cat "$ws/sandod.log"; exit 1; }
cpu0=$(cpu)
ccpu0=$(cpu_children)
rss0=$(awk '/VmRSS/ {print $2}' "/proc/$pid/status")
# shellcheck disable=SC2016 # the arguments expand in the inner shell
"${pin1[@]}" sh -c 'curl -sS -N "$1" | "$2" raw "$3" "$4"' sh \
	"$url/logs/1.0.0/spew?tier=build&follow=1" "$ws/gate_sub" "$ws/follow" "$ws/follow.out" &
readers+=($!)
rc=0
for p in "${readers[@]}"; do wait "$p" || rc=$?; done
readers=()
cpu1=$(cpu)
ccpu1=$(cpu_children)
hwm=$(awk '/VmHWM/ {print $2}' "/proc/$pid/status")
log="$ws/logs/gates/$run_id.log"
log_size=$(stat -c %s "$log")
if cmp -s "$log" "$ws/follow.out"; then follow_same=yes; else follow_same="NO ($(cmp "$log" "$ws/follow.out" 2>&1 | head -1))"; fi
rm -f "$ws/follow.out"
slow=$(grep -c 'peer too slow' "$ws/sandod.log" || true)
spew_line=$(grep '^spew: [0-9]' "$log" || true)
[ "$rc" = 0 ] || echo "bench: a reader exited with status $rc (see below)"
for i in $(seq "$nsub"); do
	if [ -s "$ws/sub.$i.err" ]; then sed "s/^/sub $i: /" "$ws/sub.$i.err" | sort | uniq -c | head -5; fi
done

python3 - "$ws" "$nsub" "$log_size" "$bytes" "$((cpu1 - cpu0))" "$clk" "$bare_null" "$bare_cat" \
	"$follow_same" "$slow" "$rss0" "$hwm" "$spew_line" "$((ccpu1 - ccpu0))" "$bare_fan" "$fan_cpu" <<'EOF'
import statistics, sys
ws, nsub, log_size, size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
ticks, clk = int(sys.argv[5]), int(sys.argv[6])
bare_null, bare_cat, follow_same, slow = float(sys.argv[7]), float(sys.argv[8]), sys.argv[9], sys.argv[10]
rss0, hwm, spew_line, gate_ticks = sys.argv[11], sys.argv[12], sys.argv[13], int(sys.argv[14])
bare_fan, fan_cpu = float(sys.argv[15]), float(sys.argv[16])

def load(path):
    d = {}
    try:
        for line in open(path):
            k, _, v = line.strip().partition("=")
            d[k] = float(v) if v.replace(".", "", 1).lstrip("-").isdigit() else v
    except FileNotFoundError:
        pass
    return d

subs = [load("%s/sub.%d" % (ws, i)) for i in range(1, nsub + 1)]
fol = load(ws + "/follow")
mb = size / 1e6
print("log file: %d bytes (%d of them the program's lines, the rest 'spew:'/'sando:' lines)" % (log_size, size))
print("program in the gate: %s" % (spew_line or "(no rate line)"))
print()
print("reader     | bytes      | complete | gaps | missed B | order err | drops | MB/s  | lat p50 | p99      | max (ms)")
def row(name, d, complete, gaps, missed, drops):
    thr = d["bytes"] / 1e6 / ((d["last_arrival"] - d["first_stamp"]) / 1e9) if d.get("lines") else 0
    print("%-10s | %10d | %-8s | %4s | %8s | %9d | %5s | %5.0f | %7.2f | %8.2f | %8.2f" % (
        name, d.get("bytes", 0), complete, gaps, missed, d.get("order_errors", 0), drops, thr,
        d.get("lat_p50_ms", -1), d.get("lat_p99_ms", -1), d.get("lat_max_ms", -1)))
    return thr
thrs, p99s, maxs, ok = [], [], [], 0
for i, d in enumerate(subs, 1):
    if not d:
        print("sub %d: no stats" % i); continue
    complete = (d["done"] == 1 and d["first_offset"] == 0 and d["end_offset"] == log_size and d["gaps"] == 0
                and d["overlaps"] == 0 and d["seq_errors"] == 0 and d["order_errors"] == 0 and d["bytes"] == log_size
                and d["first_line"] == 0)
    ok += complete
    thrs.append(row("ws %d" % i, d, "yes" if complete else "NO", int(d["gaps"]), int(d["missed"]), int(d["disconnects"])))
    p99s.append(d["lat_p99_ms"]); maxs.append(d["lat_max_ms"])
fthr = row("follow", fol, "yes" if fol.get("bytes") == log_size and follow_same == "yes" and fol.get("order_errors") == 0 else "NO", "-", "-", "-") if fol else 0
print()
cpu_s = ticks / clk
s0 = subs[0] if subs and subs[0] else {}
print("WebSocket subscribers with every byte in order: %d of %d; follow reader: bytes %s, same as the log file: %s" % (
    ok, nsub, int(fol.get("bytes", 0)), follow_same))
print("daemon closed %s slow WebSocket readers ('peer too slow' in its log)" % slow)
if subs and subs[0]:
    print("gate_log_chunk events per subscriber: %d (median), %.0f bytes of text each on average; %.1f%% of the messages are JSON overhead (keys, escapes)" % (
        statistics.median(d["chunks"] for d in subs if d), statistics.median(d["bytes"] / d["chunks"] for d in subs if d and d["chunks"]),
        100 * (1 - statistics.median(d["bytes"] / d["msg_bytes"] for d in subs if d and d["msg_bytes"]))))
if s0.get("t_done"):
    print("gate_start -> gate_done: %.2f s (of it %.2f s from the first stamped line)" % (
        (s0["t_done"] - s0["t_start"]) / 1e9, (s0["t_done"] - s0["first_stamp"]) / 1e9))
if thrs:
    print("subscriber throughput (bytes / (last arrival - first line's stamp)): median %.0f MB/s, min %.0f MB/s; follow %.0f MB/s (target >= 100)" % (
        statistics.median(thrs), min(thrs), fthr))
    print("line latency p99: median over subscribers %.1f ms, worst %.1f ms; max %.1f ms; follow p99 %.1f ms (target p99 <= 100 ms)" % (
        statistics.median(p99s), max(p99s), max(maxs), fol.get("lat_p99_ms", -1)))
print("daemon CPU: %.2f s for %.0f MB = %.3f s per 100 MB (target < 0.5) = %.2fx the bare fan-out's %.3f; RSS %s kB before, peak %s kB" % (
    cpu_s, mb, cpu_s / mb * 100, cpu_s / fan_cpu if fan_cpu else 0, fan_cpu / mb * 100, rss0, hwm))
print("other CPU: the gate program %.2f s; WebSocket subscribers %.2f s together; follow's gate_sub %.2f s (curl not counted)" % (
    gate_ticks / clk, sum(d.get("cpu_s", 0) for d in subs), fol.get("cpu_s", 0)))
if thrs:
    print("== summary: median subscriber %.0f MB/s = %.2fx of 'program | cat > file' (%.0f MB/s), %.2fx of the bare fan-out (%.0f MB/s); %d/%d subscribers complete; p99 %.1f ms; daemon CPU %.3f s/100 MB = %.2fx the bare fan-out's" % (
        statistics.median(thrs), statistics.median(thrs) / bare_cat, bare_cat, statistics.median(thrs) / bare_fan, bare_fan,
        ok, nsub, max(p99s), cpu_s / mb * 100, cpu_s / fan_cpu if fan_cpu else 0))
EOF

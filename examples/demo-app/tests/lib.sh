# Helpers shared by the shell suites: result lines and a tiny HTTP client on
# bash's /dev/tcp (no curl needed).  Sourced, not run.

failures=0

# pass NAME / fail NAME [DETAIL...]
pass() {
	echo "ok - $1"
}

fail() {
	echo "not ok - $1"
	shift
	local line
	for line in "$@"; do
		echo "# $line"
	done
	failures=$((failures + 1))
}

# check NAME COMMAND...: pass when COMMAND succeeds.
check() {
	local name=$1
	shift
	if "$@"; then pass "$name"; else fail "$name" "failed: $*"; fi
}

# http PORT METHOD TARGET [BODY [HEADER]]: the raw response in $RESPONSE,
# its status in $STATUS, its body in $BODY.
http() {
	local header=
	if [ -n "${5-}" ]; then header=$5$'\r\n'; fi
	RESPONSE=$(timeout 5 bash -c '
		exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
		printf "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\n%sContent-Length: %d\r\n\r\n%s" \
			"$2" "$3" "$5" "${#4}" "$4" >&3
		cat <&3' http "$1" "$2" "$3" "${4-}" "$header")
	STATUS=$(printf '%s\n' "$RESPONSE" | head -n 1 | cut -d ' ' -f 2)
	BODY=$(printf '%s\n' "$RESPONSE" | sed '1,/^\r$/d')
}

# wait_exit PID SECONDS: wait for PID to exit; its status in $EXIT_STATUS
# (or 124 after killing it when it outlives SECONDS).
wait_exit() {
	local pid=$1 tries=$(($2 * 10))
	while kill -0 "$pid" 2>/dev/null && [ "$tries" -gt 0 ]; do
		sleep 0.1
		tries=$((tries - 1))
	done
	if kill -0 "$pid" 2>/dev/null; then
		kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
		EXIT_STATUS=124
		return
	fi
	wait "$pid"
	EXIT_STATUS=$?
}

#!/usr/bin/env bats
# ?follow=1 on build logs: the log streamed (chunked) while the build runs,
# ending by itself when the build ends; finished builds, clients that leave,
# a daemon that stops, and bad input.

load lib

teardown() { sando_teardown; }

# A build that prints line-1..line-5, 0.3 s apart.
SLOW_BUILD='for i in 1 2 3 4 5; do echo line-$i; sleep 0.3; done'

# Prefix each line of stdin with the time it arrived (seconds, fractional).
stamp_lines() {
	local l
	while IFS= read -r l; do
		printf '%s %s\n' "$(date +%s.%N)" "$l"
	done
}

# The arrival time of the first line of $1 matching $2.
stamp_of() {
	grep -m1 -- "$2" "$1" | cut -d' ' -f1
}

# Open file descriptors of the daemon.
daemon_fds() {
	ls "/proc/$SANDOD_PID/fd" | wc -l
}

@test "follow streams a running build's log live and ends with the build" {
	sando_config_build
	sando_start
	sando_app "$SLOW_BUILD"
	sando_push
	{
		curl -sSN -m 30 "$URL/builds/1/log?follow=1"
		echo "curl-exit=$?"
	} | stamp_lines >"$WS/follow.out"
	# curl ended by itself, cleanly (the chunked stream was complete)
	[ "$(tail -1 "$WS/follow.out" | cut -d' ' -f2)" = curl-exit=0 ]
	[ "$(wait_build 1 | jq -r .status)" = ok ]
	# every line, in order, through the final one
	[ "$(grep -o 'line-[0-9]' "$WS/follow.out" | paste -sd,)" = line-1,line-2,line-3,line-4,line-5 ]
	grep -q "sando: staged version '1.0.0'" "$WS/follow.out"
	# live: line-1 arrived well before the build's end
	first=$(stamp_of "$WS/follow.out" line-1)
	last=$(stamp_of "$WS/follow.out" "staged version")
	awk -v a="$first" -v b="$last" 'BEGIN { exit !(b - a >= 0.5) }'
	# what was streamed is exactly the log
	curl -sS "$URL/builds/1/log" >"$WS/whole.log"
	cut -d' ' -f2- "$WS/follow.out" | sed '$d' | diff - "$WS/whole.log"
	sando_healthy
}

@test "follow on a finished build returns the whole log and ends" {
	sando_config_build
	sando_start
	sando_app 'echo built'
	sando_push
	wait_build 1 >/dev/null
	curl -sS "$URL/builds/1/log" >"$WS/whole.log"
	grep -q "staged version '1.0.0'" "$WS/whole.log"
	run curl -sSN -m 5 -o "$WS/by-id.log" -D "$WS/head" "$URL/builds/1/log?follow=1"
	[ "$status" -eq 0 ]
	grep -qi '^transfer-encoding: chunked' "$WS/head"
	cmp "$WS/whole.log" "$WS/by-id.log"
	run curl -sSN -m 5 -o "$WS/by-version.log" "$URL/logs/1.0.0/build?follow=1"
	[ "$status" -eq 0 ]
	cmp "$WS/whole.log" "$WS/by-version.log"
	# follow=0 is the plain answer, with a length
	run curl -sS -m 5 -o "$WS/plain.log" -D "$WS/head" "$URL/builds/1/log?follow=0"
	[ "$status" -eq 0 ]
	grep -qi '^content-length:' "$WS/head"
	cmp "$WS/whole.log" "$WS/plain.log"
	sando_healthy
}

@test "a follower that disconnects leaves the daemon healthy and others served" {
	sando_config_build
	sando_start
	sando_app 'echo warm-up'
	sando_push
	wait_build 1 >/dev/null
	sleep 0.3
	fds=$(daemon_fds)
	# slow enough (3 s) to outlast the three leavers (0.5 s each)
	sed -i "s/echo warm-up/${SLOW_BUILD/0.3/0.6}/" "$WS/app/build.sh"
	sando_commit slow >/dev/null
	sando_push
	# three clients leave mid-follow, one stays to the end
	curl -sSN -m 30 -o "$WS/stayed.log" "$URL/builds/2/log?follow=1" &
	stayer=$!
	for i in 1 2 3; do
		run curl -sSN --max-time 0.5 -o /dev/null "$URL/builds/2/log?follow=1"
		[ "$status" -eq 28 ] # timed out: it left while the stream was open
	done
	sando_healthy
	wait "$stayer"
	grep -q line-5 "$WS/stayed.log"
	grep -q "staged version" "$WS/stayed.log"
	[ "$(wait_build 2 | jq -r .status)" = ok ]
	# every follow's file and timer are gone
	sleep 0.3
	[ "$(daemon_fds)" = "$fds" ]
	sando_healthy
}

@test "a superseded build's follower ends with the abort" {
	sando_config_build
	sando_start
	sando_app 'echo first; sleep 3.605'
	sando_push
	curl -sSN -m 30 -o "$WS/follow.log" "$URL/builds/1/log?follow=1" &
	follower=$!
	sleep 0.5
	http -X POST "$URL/rebuild"
	[ "$CODE" = 202 ]
	wait "$follower"
	grep -q first "$WS/follow.log"
	grep -q "build aborted: superseded" "$WS/follow.log"
	sando_healthy
}

@test "a stopping daemon cuts open follows instead of waiting for them" {
	sando_config_build
	sando_start
	sando_app 'echo started; sleep 3.606'
	sando_push
	curl -sSN -m 30 -o "$WS/follow.log" "$URL/builds/1/log?follow=1" &
	follower=$!
	sleep 0.5
	start=$(date +%s)
	sando_stop
	[ "$STOP_STATUS" -eq 0 ]
	[ $(($(date +%s) - start)) -lt 3 ]
	status=0
	wait "$follower" || status=$?
	# cut, not ended: curl sees the chunked answer incomplete
	[ "$status" -eq 18 ]
	grep -q started "$WS/follow.log"
	! grep -E 'AddressSanitizer|runtime error|LeakSanitizer' "$WS/sandod.log"
}

@test "follow validates its input like the plain log routes" {
	sando_config_build
	sando_start
	sando_app
	sando_push
	wait_build 1 >/dev/null
	for id in 0 -1 abc 1x 99999999999999999999; do
		http "$URL/builds/$id/log?follow=1"
		[ "$CODE" = 400 ]
		[ "$(echo "$BODY" | jq -r .error.code)" = bad_request ]
	done
	http "$URL/builds/99/log?follow=1"
	[ "$CODE" = 404 ]
	for v in not-a-version 1.0 %2e%2e ..%2f..%2fetc 1.0.0%00; do
		http "$URL/logs/$v/build?follow=1"
		[ "$CODE" = 400 ]
		[ "$(echo "$BODY" | jq -r .error.code)" = invalid_version ]
	done
	http "$URL/logs/9.9.9/build?follow=1"
	[ "$CODE" = 404 ]
	for f in 2 yes "" true; do
		http "$URL/builds/1/log?follow=$f"
		[ "$CODE" = 400 ]
		[ "$(echo "$BODY" | jq -r .error.message)" = "'follow' must be 0 or 1" ]
		http "$URL/logs/1.0.0/build?follow=$f"
		[ "$CODE" = 400 ]
	done
	sando_healthy
}

@test "follow by version works once the build has settled on its version" {
	sando_config_build
	sando_start
	# the version is known after the build command; staging 200 MB takes a moment
	sando_app 'head -c 209715200 /dev/zero >static/big.bin'
	sando_push
	for i in $(seq 200); do
		grep -q "staging version" "$WS/logs/builds/1.log" 2>/dev/null && break
		sleep 0.02
	done
	run curl -sSN -m 30 "$URL/logs/1.0.0/build?follow=1"
	[ "$status" -eq 0 ]
	[[ "$output" == "sando: build 1 of "* ]]
	[[ "$output" == *"staged version '1.0.0'"* ]]
	http "$URL/logs/9.9.9/build?follow=1"
	[ "$CODE" = 404 ]
}

# What ?tail=$2 must serve of file $1: its last $2 bytes, from past the first
# newline among them (not the last byte) when the byte before is not one.
tail_of() {
	python3 - "$1" "$2" <<'PY'
import sys
data = open(sys.argv[1], "rb").read()
n = int(sys.argv[2])
start = max(len(data) - n, 0)
if start > 0 and data[start - 1] != 0x0A:
    nl = data.find(b"\n", start, len(data) - 1)
    if nl != -1:
        start = nl + 1
sys.stdout.buffer.write(data[start:])
PY
}

@test "tail serves exactly the log's end, from a line boundary" {
	sando_config_build
	sando_start
	# lines of growing length, one longer than some tails
	sando_app 'for i in $(seq 1 40); do printf "line-%s %0${i}d\n" $i 0; done; printf "%0300d\n" 7'
	sando_push
	[ "$(wait_build 1 | jq -r .status)" = ok ]
	curl -sS "$URL/builds/1/log" >"$WS/whole.log"
	size=$(wc -c <"$WS/whole.log")
	for n in 0 1 5 100 301 302 350 1000 2000 "$((size - 1))" "$size" "$((size + 1))" 4194304; do
		tail_of "$WS/whole.log" "$n" >"$WS/want"
		curl -sS -D "$WS/head" -o "$WS/got" "$URL/builds/1/log?tail=$n"
		cmp "$WS/want" "$WS/got"
		# X-Log-Offset: where the body starts in the file
		off=$(tr -d '\r' <"$WS/head" | sed -n 's/^[Xx]-[Ll]og-[Oo]ffset: //p')
		[ "$off" = $((size - $(wc -c <"$WS/got"))) ]
		curl -sS -o "$WS/by-version" "$URL/logs/1.0.0/build?tail=$n"
		cmp "$WS/want" "$WS/by-version"
	done
	# the body starts just past a newline, unless the last line is all there is
	curl -sS -D "$WS/head" -o "$WS/got" "$URL/builds/1/log?tail=1000"
	off=$(tr -d '\r' <"$WS/head" | sed -n 's/^[Xx]-[Ll]og-[Oo]ffset: //p')
	[ "$(head -c "$off" "$WS/whole.log" | tail -c 1 | od -An -c | tr -d ' ')" = '\n' ]
	[ "$(wc -c <"$WS/got")" -le 1000 ]
	[ "$(wc -c <"$WS/got")" -gt 500 ]
	# a last line longer than the tail: its end is all there is
	[ "$(curl -sS "$URL/builds/1/log?tail=5" | wc -c)" = 5 ]
	[ "$(curl -sS "$URL/builds/1/log?tail=0" | wc -c)" = 0 ]
	# on a finished build, follow with tail is the same as tail
	curl -sSN -m 5 -o "$WS/followed" "$URL/builds/1/log?follow=1&tail=1000"
	tail_of "$WS/whole.log" 1000 | cmp - "$WS/followed"
	sando_healthy
}

@test "tail values that are not 0..4194304 bytes are 400" {
	sando_config_build
	sando_start
	sando_app
	sando_push
	wait_build 1 >/dev/null
	for n in -1 abc "" 1x 0x10 +5 %201 1.5 4194305 99999999 99999999999999999999; do
		for path in "builds/1/log" "logs/1.0.0/build"; do
			http "$URL/$path?tail=$n"
			[ "$CODE" = 400 ]
			[ "$(echo "$BODY" | jq -r .error.code)" = bad_request ]
			[ "$(echo "$BODY" | jq -r .error.message)" = "'tail' must be a number of bytes from 0 to 4194304" ]
			http "$URL/$path?follow=1&tail=$n"
			[ "$CODE" = 400 ]
		done
	done
	http "$URL/builds/1/log?tail=4194304"
	[ "$CODE" = 200 ]
	# names are checked before the tail, unknown things are still 404
	http "$URL/logs/1.0/build?tail=x"
	[ "$CODE" = 400 ]
	[ "$(echo "$BODY" | jq -r .error.code)" = invalid_version ]
	http "$URL/builds/99/log?tail=10"
	[ "$CODE" = 404 ]
	sando_healthy
}

@test "follow with tail streams from the log's end while the build runs" {
	sando_config_build
	sando_start
	sando_app "$SLOW_BUILD"
	sando_push
	for i in $(seq 300); do
		grep -q line-2 "$WS/logs/builds/1.log" 2>/dev/null && break
		sleep 0.02
	done
	# tail=0: only what is appended from now on
	run curl -sSN -m 30 -D "$WS/head" -o "$WS/follow.out" "$URL/builds/1/log?follow=1&tail=0"
	[ "$status" -eq 0 ]
	[ "$(wait_build 1 | jq -r .status)" = ok ]
	! grep -q 'line-[12]' "$WS/follow.out"
	grep -q line-5 "$WS/follow.out"
	grep -q "staged version '1.0.0'" "$WS/follow.out"
	# exactly the log from the offset the header gives
	off=$(tr -d '\r' <"$WS/head" | sed -n 's/^[Xx]-[Ll]og-[Oo]ffset: //p')
	curl -sS "$URL/builds/1/log" | tail -c +$((off + 1)) | cmp - "$WS/follow.out"
	sando_healthy
}

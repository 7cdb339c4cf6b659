#!/usr/bin/env bats
# Bad input over HTTP: each case gets a clear JSON error, and afterwards the
# daemon still answers /healthz and its log shows no crash.

load lib

setup() {
	sando_config
	sando_start
}

teardown() { sando_teardown; }

probe() { python3 "$BATS_TEST_DIRNAME/httpprobe.py" "$PORT" "$@"; }

error_code() { echo "$BODY" | jq -r '.error.code'; }

@test "malformed JSON body is 400 malformed_json" {
	http -X GET -H 'Content-Type: application/json' --data-binary '{"sha": ' "$URL/state"
	[ "$CODE" = 400 ]
	[ "$(error_code)" = malformed_json ]
	[[ "$(echo "$BODY" | jq -r .error.message)" == *"line 1"* ]]
	sando_healthy
}

@test "a body that is not JSON is 415 with the expected type named" {
	http -X GET -H 'Content-Type: text/plain' --data-binary 'hello' "$URL/state"
	[ "$CODE" = 415 ]
	[ "$(error_code)" = unsupported_media_type ]
	[[ "$(echo "$BODY" | jq -r .error.message)" == *"application/json"* ]]
	sando_healthy
}

@test "a 20 KiB header is 431" {
	local big
	big=$(head -c 20480 /dev/zero | tr '\0' a)
	http -H "X-Big: $big" "$URL/state"
	[ "$CODE" = 431 ]
	[ "$(error_code)" = header_too_large ]
	sando_healthy
}

@test "a 2 MiB body is 413" {
	head -c 2097152 /dev/zero | tr '\0' ' ' >"$BATS_TEST_TMPDIR/big.json"
	http -X GET -H 'Content-Type: application/json' --data-binary @"$BATS_TEST_TMPDIR/big.json" "$URL/state"
	[ "$CODE" = 413 ]
	[ "$(error_code)" = payload_too_large ]
	sando_healthy
}

@test "an unknown route is 404 with a JSON error" {
	http "$URL/no/such/route"
	[ "$CODE" = 404 ]
	[ "$(error_code)" = not_found ]
	# routes of later issues are absent, not stubbed
	http "$URL/sandboxes"
	[ "$CODE" = 404 ]
	sando_healthy
}

@test "a wrong method is 405 with Allow" {
	run curl -sS -i -X DELETE "$URL/state"
	[[ "$output" == *"HTTP/1.1 405"* ]]
	[[ "$output" == *"Allow: GET"* ]]
	[[ "$output" == *'"method_not_allowed"'* ]]
	sando_healthy
}

@test "traversal and encoded paths are plain 404s" {
	http --path-as-is "$URL/../../etc/passwd"
	[ "$CODE" = 404 ]
	http --path-as-is "$URL/%2e%2e/state"
	[ "$CODE" = 404 ]
	sando_healthy
}

@test "garbage on the wire is 400 and the connection closes" {
	run bash -c "printf 'BLAH\r\n\r\n' | timeout 5 curl -sS telnet://127.0.0.1:$PORT"
	[[ "$output" == *"400"* ]]
	sando_healthy
}

@test "a client that sends half a request and vanishes" {
	run probe half
	[ "$status" -eq 0 ]
	sando_healthy
}

@test "pipelined requests are answered in order" {
	run probe pipeline
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 'HTTP/1.1 200 OK {"status":"o' ]
	[[ "${lines[1]}" == "HTTP/1.1 404 Not Found"* ]]
	[[ "${lines[2]}" == 'HTTP/1.1 200 OK {"tiers":[{"' ]]
	sando_healthy
}

@test "200 concurrent keep-alive connections are all served" {
	run probe keepalive 200
	[ "$status" -eq 0 ]
	[ "$output" = 600 ]
	sando_healthy
}

@test "headers never finished: the connection is closed after the header timeout" {
	run probe slowheaders
	[ "$status" -eq 0 ]
	[[ "$output" == "closed after 1"[0-9]" s: HTTP/1.1 408"* ]]
	sando_healthy
}

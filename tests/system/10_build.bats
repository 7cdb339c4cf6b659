#!/usr/bin/env bats
# The build pipeline: git push -> post-receive hook -> POST /rebuild -> build
# -> staged, self-contained release; and every way it can go wrong.

load lib

teardown() { sando_teardown; }

@test "a push to the branch builds and stages a self-contained release" {
	sando_config_build
	sando_start
	mkdir -p "$WS/app"
	sando_app 'ln -s app out/app-link'
	mkdir -p "$WS/app/docs" && echo doc >"$WS/app/docs/a.md" && sando_commit docs
	run sando_push
	[ "$status" -eq 0 ]
	[[ "$output" != *warning* ]]
	build=$(wait_build 1)
	[ "$(echo "$build" | jq -r .status)" = ok ]
	[ "$(echo "$build" | jq -r .version)" = 1.0.0 ]
	[ "$(echo "$build" | jq -r .sha)" = "$(git -C "$WS/app" rev-parse HEAD)" ]
	rel="$WS/releases/1.0.0"
	[ "$(stat -c %a "$rel/app")" = 755 ]
	[ "$(stat -c %a "$rel/static/index.html")" = 644 ]
	[ -f "$rel/static/css/site.css" ]
	[ -f "$rel/docs/a.md" ]
	[ -f "$rel/.sando/manifest.json" ]
	[ "$(jq -r .bundle_digest "$rel/.sando/manifest.json")" = "$(curl -s "$URL/versions" | jq -r '.[0].bundle_digest')" ]
	[ ! -e "$WS/releases/1.0.0.partial" ]
	# the first tier has no gates yet: it advances to the staged version
	[ "$(curl -s "$URL/state" | jq -r '.tiers[0].current_version')" = 1.0.0 ]
	# the log is served by version and by build id
	run curl -sS "$URL/logs/1.0.0/build"
	[[ "$output" == *"staged version '1.0.0'"* ]]
	run curl -sS "$URL/builds/1/log"
	[[ "$output" == *"staged version '1.0.0'"* ]]
	# events were recorded in order
	[ "$(sqlite3 "$WS/state/sando.db" 'SELECT group_concat(kind) FROM (SELECT kind FROM events ORDER BY seq)')" = rebuild_requested,build_start,build_ok ]
	# self-contained: no symlink points outside, deleting the worktree changes nothing
	find "$rel" -type l | while read -r l; do
		t=$(readlink -f "$l"); [[ "$t" == "$rel"/* ]]
	done
	rm -rf "$WS/work"
	sha256sum "$rel/app" "$rel/static/index.html" >/dev/null
	sando_healthy
}

@test "a push to another branch builds nothing" {
	sando_config_build
	sando_start
	sando_app
	git -C "$WS/app" checkout -q -b feature
	run sando_push feature
	[ "$status" -eq 0 ]
	sleep 1
	[ "$(curl -s "$URL/builds" | jq length)" = 0 ]
}

@test "a hostile branch name is only a name" {
	sando_config_build
	sando_start
	sando_app
	git -C "$WS/app" checkout -q -b "x\$(touch\${IFS}$WS/pwned)"
	run sando_push "x\$(touch\${IFS}$WS/pwned)"
	sleep 1
	[ ! -e "$WS/pwned" ]
	[ "$(curl -s "$URL/builds" | jq length)" = 0 ]
	http -X POST -H 'Content-Type: application/json' -d '{"sha": "--upload-pack=touch /tmp/x"}' "$URL/rebuild"
	[ "$CODE" = 400 ]
	[ "$(echo "$BODY" | jq -r .error.code)" = invalid_sha ]
	sando_healthy
}

@test "POST /rebuild validates its sha" {
	sando_config_build
	sando_start
	http -X POST "$URL/rebuild"
	[ "$CODE" = 409 ]
	[ "$(echo "$BODY" | jq -r .error.code)" = no_commits ]
	sando_app
	sando_push
	wait_build 1 >/dev/null
	for bad in '"xyz"' '"abc"' '5' '"0123456789012345678901234567890123456789a"' '["a"]'; do
		http -X POST -H 'Content-Type: application/json' -d "{\"sha\": $bad}" "$URL/rebuild"
		[ "$CODE" = 400 ]
		[ "$(echo "$BODY" | jq -r .error.code)" = invalid_sha ]
	done
	http -X POST -H 'Content-Type: application/json' -d '{"sha": "deadbeefdeadbeef"}' "$URL/rebuild"
	[ "$CODE" = 400 ]
	[ "$(echo "$BODY" | jq -r .error.code)" = unknown_sha ]
	http -X POST -H 'Content-Type: application/json' -d '{"sha": "abc1", "extra": 1}' "$URL/rebuild"
	[ "$CODE" = 400 ]
	# a short sha that git resolves, and the default (branch head)
	short=$(git -C "$WS/app" rev-parse --short=7 HEAD)
	http -X POST -H 'Content-Type: application/json' -d "{\"sha\": \"$short\"}" "$URL/rebuild"
	[ "$CODE" = 202 ]
	[ "$(echo "$BODY" | jq -r .sha)" = "$(git -C "$WS/app" rev-parse HEAD)" ]
	id=$(echo "$BODY" | jq -r .build_id)
	[ "$(wait_build "$id" | jq -r .status)" = ok ]
	http -X POST "$URL/rebuild"
	[ "$CODE" = 202 ]
	sando_healthy
}

@test "a failing build command fails the build with its log" {
	sando_config_build
	sando_start
	sando_app 'echo "compiler says no" >&2; exit 3'
	sando_push
	build=$(wait_build 1)
	[ "$(echo "$build" | jq -r .status)" = failed ]
	[[ "$(echo "$build" | jq -r .error)" == *"exited with status 3"* ]]
	run curl -sS "$URL/builds/1/log"
	[[ "$output" == *"compiler says no"* ]]
	[ "$(sqlite3 "$WS/state/sando.db" "SELECT json_extract(body_json, '$.step') FROM events WHERE kind = 'build_failed'")" = command ]
	[ "$(curl -s "$URL/versions" | jq length)" = 0 ]
}

@test "a build that hangs is stopped at its timeout, with its whole group" {
	BUILD_TIMEOUT=2 sando_config_build
	sando_start
	sando_app "sleep 3601"
	sando_push
	sleep 0.5
	[ "$(procs_matching "sleep 3601")" = 1 ]
	build=$(wait_build 1)
	[ "$(echo "$build" | jq -r .status)" = failed ]
	[[ "$(echo "$build" | jq -r .error)" == *"timed out after 2 s"* ]]
	sleep 0.5
	[ "$(procs_matching "sleep 3601")" = 0 ]
}

@test "a background child of the build does not survive it" {
	sando_config_build
	sando_start
	sando_app "sleep 3602 >/dev/null 2>&1 & echo \$! >$WS/bg.pid"
	sando_push
	[ "$(wait_build 1 | jq -r .status)" = ok ]
	sleep 0.5
	[ -s "$WS/bg.pid" ] # the child was started
	[ "$(procs_matching "sleep 3602")" = 0 ]
}

@test "a missing required content row fails the build and stages nothing" {
	sando_config_build
	sando_start
	sando_app 'true'
	git -C "$WS/app" rm -q -r static
	sando_commit "no static"
	sando_push
	build=$(wait_build 1)
	[ "$(echo "$build" | jq -r .status)" = failed ]
	[[ "$(echo "$build" | jq -r .error)" == *"'static'"* ]]
	[ ! -e "$WS/releases/1.0.0" ]
	[ ! -e "$WS/releases/1.0.0.partial" ]
}

@test "a missing optional content row is a warning" {
	sando_config_build
	sando_start
	sando_app
	sando_push
	[ "$(wait_build 1 | jq -r .status)" = ok ]
	run curl -sS "$URL/builds/1/log"
	[[ "$output" == *"warning:"*"docs"* ]]
}

@test "the same version from another commit is staged with build metadata" {
	sando_config_build
	sando_start
	sando_app
	sando_push
	[ "$(wait_build 1 | jq -r .version)" = 1.0.0 ]
	echo change >>"$WS/app/static/index.html"
	sha=$(sando_commit change)
	sando_push
	[ "$(wait_build 2 | jq -r .version)" = "1.0.0+${sha:0:7}" ]
	[ "$(curl -s "$URL/versions" | jq -r '[.[].version] | sort | join(",")')" = "1.0.0,1.0.0+${sha:0:7}" ]
	[ -f "$WS/releases/1.0.0+${sha:0:7}/static/index.html" ]
	[ "$(curl -s "$URL/state" | jq -r '.tiers[0].current_version')" = "1.0.0+${sha:0:7}" ]
	[ "$(curl -s "$URL/state" | jq -r '.tiers[0].previous_version')" = 1.0.0 ]
	# the same commit again reuses its release
	http -X POST "$URL/rebuild"
	[ "$(wait_build 3 | jq -r .version)" = "1.0.0+${sha:0:7}" ]
	[ "$(curl -s "$URL/versions" | jq length)" = 2 ]
}

@test "version from Cargo.toml and from git describe" {
	sando_config_build
	sed -i 's#^version_from = .*#version_from = "server/Cargo.toml"#' "$WS/daemon.toml"
	sando_start
	sando_app
	mkdir -p "$WS/app/server"
	printf '[package]\nname = "x"\nversion = "2.3.4-rc.1"\n' >"$WS/app/server/Cargo.toml"
	sando_commit cargo
	sando_push
	[ "$(wait_build 1 | jq -r .version)" = 2.3.4-rc.1 ]
	sando_stop
	sed -i 's#^version_from = .*#version_from = "git-describe"#' "$WS/daemon.toml"
	sando_start
	git -C "$WS/app" tag v3.0.0
	echo x >>"$WS/app/VERSION"; sando_commit more >/dev/null
	sando_push main v3.0.0
	[ "$(wait_build 2 | jq -r .version)" = 3.0.0-1-g"$(git -C "$WS/app" rev-parse --short HEAD)" ]
}

@test "50 rebuilds in one second: one completes, the rest are aborted" {
	sando_config_build
	sando_start
	sando_app "sleep 0.3603"
	sando_push
	wait_build 1 >/dev/null
	local pids=()
	for i in $(seq 50); do
		curl -sS -m 30 -o /dev/null -X POST "$URL/rebuild" &
		pids+=($!)
	done
	wait "${pids[@]}" # not a bare wait: sandod is a child too
	last=$(curl -s "$URL/builds" | jq -r '.[0].id')
	wait_build "$last" >/dev/null
	sleep 0.5
	[ "$(curl -s "$URL/builds" | jq '[.[] | select(.id > 1)] | length')" = 50 ]
	[ "$(curl -s "$URL/builds" | jq '[.[] | select(.id > 1 and .status == "ok")] | length')" = 1 ]
	[ "$(curl -s "$URL/builds" | jq '[.[] | select(.id > 1 and .status == "aborted")] | length')" = 49 ]
	[ "$(sqlite3 "$WS/state/sando.db" "SELECT count(*) FROM events WHERE kind = 'build_aborted'")" = 49 ]
	[ "$(procs_matching "sleep 0.3603")" = 0 ]
	sando_healthy
}

@test "sandod killed during a build: interrupted on restart, rebuild works" {
	sando_config_build
	sando_start
	sando_app "sleep 3.604"
	sando_push
	sleep 0.5
	[ "$(curl -s "$URL/builds/1" | jq -r .status)" = running ]
	kill -KILL "$SANDOD_PID"
	wait "$SANDOD_PID" || true
	SANDOD_PID=
	# the dead daemon's build is still running...
	[ "$(procs_matching "sleep 3.604")" = 1 ]
	sando_start
	# ...until the new daemon stops it
	grep -q 'killed process group [0-9]* left running by build 1' "$WS/sandod.log"
	[ "$(procs_matching "sleep 3.604")" = 0 ]
	grep -q 'recovered 1 operation' "$WS/sandod.log"
	[ "$(curl -s "$URL/builds/1" | jq -r .status)" = interrupted ]
	[ "$(curl -s "$URL/versions" | jq length)" = 0 ]
	sed -i 's/sleep 3.604/true/' "$WS/app/build.sh"; sando_commit quick >/dev/null
	sando_push
	[ "$(wait_build 2 | jq -r .status)" = ok ]
	[ "$(curl -s "$URL/versions" | jq -r '.[0].version')" = 1.0.0 ]
}

@test "a push while the daemon is down succeeds with one warning line" {
	sando_config_build
	sando_start
	sando_app
	sando_stop
	run sando_push
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | grep -c 'sando: warning: could not reach the daemon')" = 1 ]
	[ "$(git -C "$WS/repo.git" rev-parse main)" = "$(git -C "$WS/app" rev-parse HEAD)" ]
}

@test "the API answers while a 150 MB release is being staged" {
	sando_config_build
	sando_start
	# 150 MB of content: the copy and its hashing run off the event loop
	sando_app 'head -c 157286400 /dev/zero >static/big.bin'
	sando_push
	local during=0 i
	for i in $(seq 1 400); do
		st=$(curl -sS -m 2 "$URL/builds/1" | jq -r .status)
		[ "$st" = running ] || break
		if grep -q "staging version" "$WS/logs/builds/1.log" 2>/dev/null; then
			run curl -sS -m 2 "$URL/healthz"
			[ "$status" -eq 0 ]
			during=$((during + 1))
		fi
		sleep 0.01
	done
	[ "$(wait_build 1 | jq -r .status)" = ok ]
	[ "$during" -ge 1 ]
	[ "$(stat -c %s "$WS/releases/1.0.0/static/big.bin")" = 157286400 ]
}

@test "SIGTERM during a build aborts it, kills its processes and exits 0" {
	sando_config_build
	sando_start
	sando_app "sleep 3605"
	sando_push
	sleep 0.5
	[ "$(procs_matching "sleep 3605")" -ge 1 ]
	sando_stop
	[ "$STOP_STATUS" -eq 0 ]
	[ "$(procs_matching "sleep 3605")" = 0 ]
	[ "$(sqlite3 "$WS/state/sando.db" 'SELECT status FROM builds WHERE id = 1')" = aborted ]
}

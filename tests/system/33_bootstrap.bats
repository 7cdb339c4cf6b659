#!/usr/bin/env bats
# deploy/bootstrap-node.sh and the systemd units of deploy/: the script run
# with --root on a throwaway tree (modes, owners recorded in .bootstrap-owners,
# users in etc/passwd and etc/group, file contents), a second run that changes
# nothing (same tree, same checksums and mtimes, only "unchanged" lines), the
# env file never overwritten, keys appended once, --dry-run touching nothing,
# bad input refused with exit 2; the units checked by systemd-analyze verify,
# the script by shellcheck; and, when root may unshare a mount namespace, one
# real run (useradd, chown, systemctl enable, sudo -l) on copies of /etc.

load lib

BOOT=
setup() {
	BOOT="$SANDO_TOP/deploy/bootstrap-node.sh"
	R="$BATS_TEST_TMPDIR/root"
	mkdir -p "$R"
	ssh-keygen -q -t ed25519 -N '' -C 'sandod@build' -f "$BATS_TEST_TMPDIR/key"
	KEY="$BATS_TEST_TMPDIR/key.pub"
}

# the seed's node: app mnw, binary and unit makenotwork, release root /opt/mnw
boot() {
	"$BOOT" --app mnw --bin makenotwork --service makenotwork --root "$R" "$@"
}

# Every path with type, mode, size, mtime and link target, then checksums.
snapshot() {
	(cd "$R" && find . -printf '%p %y %m %s %T@ %l\n' | sort &&
		find . -type f -exec sha256sum {} + | sort -k2)
}

owner() { awk -v p="$1" '$1 == p { print $2 }' "$R/.bootstrap-owners"; }
mode() { stat -c %a "$R$1"; }

# lines of the output that are actions (not notes or the topology summary)
actions() { grep -E '^(unchanged|created|rewrote|changed|enabled|appended|would) ' <<<"$output"; }

@test "bootstrap: the first run lays out the node: users, dirs, env file, unit, sudoers, key" {
	run boot --pubkey "$KEY"
	echo "$output"
	[ "$status" -eq 0 ]
	! grep -q '^unchanged' <<<"$output" || false
	# users, as useradd would make them: a system one for the app, a login one for ssh
	grep -qx 'mnw:x:999:999:mnw service:/var/lib/mnw:/usr/sbin/nologin' "$R/etc/passwd"
	grep -qx 'deploy:x:1000:1000:sando deploy user:/home/deploy:/bin/sh' "$R/etc/passwd"
	grep -qx 'mnw:x:999:' "$R/etc/group"
	grep -qx 'deploy:x:1000:' "$R/etc/group"
	# directories: the deploy user owns the release root (it swaps current there)
	[ "$(mode /opt/mnw)" = 755 ] && [ "$(owner /opt/mnw)" = deploy:deploy ]
	[ "$(mode /opt/mnw/releases)" = 755 ] && [ "$(owner /opt/mnw/releases)" = deploy:deploy ]
	[ "$(mode /var/lib/mnw)" = 750 ] && [ "$(owner /var/lib/mnw)" = mnw:mnw ]
	[ "$(mode /etc/mnw)" = 755 ] && [ "$(owner /etc/mnw)" = root:root ]
	[ "$(mode /home/deploy/.ssh)" = 700 ] && [ "$(owner /home/deploy/.ssh)" = deploy:deploy ]
	# the env file: root:<service group> 0640, only a comment
	[ "$(mode /etc/mnw/mnw.env)" = 640 ] && [ "$(owner /etc/mnw/mnw.env)" = root:mnw ]
	[ -s "$R/etc/mnw/mnw.env" ]
	! grep -qv '^#' "$R/etc/mnw/mnw.env" || false
	# the unit
	u="$R/etc/systemd/system/makenotwork.service"
	[ "$(mode /etc/systemd/system/makenotwork.service)" = 644 ]
	[ "$(owner /etc/systemd/system/makenotwork.service)" = root:root ]
	for kv in ExecStart=/opt/mnw/current/makenotwork WorkingDirectory=/opt/mnw/current \
		EnvironmentFile=/etc/mnw/mnw.env ReadWritePaths=/var/lib/mnw StateDirectory=mnw \
		User=mnw Group=mnw NoNewPrivileges=yes ProtectSystem=strict ProtectHome=yes \
		PrivateTmp=yes Restart=on-failure WantedBy=multi-user.target; do
		grep -qx "$kv" "$u" || { echo "missing $kv"; false; }
	done
	[ "$(readlink "$R/etc/systemd/system/multi-user.target.wants/makenotwork.service")" = /etc/systemd/system/makenotwork.service ]
	# sudoers: the restart command and nothing else
	s="$R/etc/sudoers.d/mnw-deploy"
	[ "$(mode /etc/sudoers.d/mnw-deploy)" = 440 ] && [ "$(owner /etc/sudoers.d/mnw-deploy)" = root:root ]
	[ "$(grep -v '^#' "$s" | grep -c NOPASSWD)" -eq 1 ]
	grep -qx 'deploy ALL=(root) NOPASSWD: /usr/bin/systemctl reload-or-restart makenotwork' "$s"
	! grep -q 'ALL$' "$s" || false
	# the key, restricted, for the deploy user
	[ "$(mode /home/deploy/.ssh/authorized_keys)" = 600 ]
	[ "$(owner /home/deploy/.ssh/authorized_keys)" = deploy:deploy ]
	[ "$(cat "$R/home/deploy/.ssh/authorized_keys")" = "restrict $(cat "$KEY")" ]
	# the topology lines to paste
	grep -qF 'restart = ["sudo", "/usr/bin/systemctl", "reload-or-restart", "makenotwork"]' <<<"$output"
	grep -qF 'release_root = "/opt/mnw"' <<<"$output"
}

@test "bootstrap: defaults: /opt/<app>, <app>.service, user <app>, ExecStart=<release_root>/current/<app>" {
	run "$BOOT" --app shop --root "$R"
	[ "$status" -eq 0 ]
	grep -qx 'ExecStart=/opt/shop/current/shop' "$R/etc/systemd/system/shop.service"
	grep -qx 'User=shop' "$R/etc/systemd/system/shop.service"
	grep -qx 'deploy ALL=(root) NOPASSWD: /usr/bin/systemctl reload-or-restart shop' "$R/etc/sudoers.d/shop-deploy"
	[ -d "$R/opt/shop/releases" ] && [ -d "$R/var/lib/shop" ] && [ -f "$R/etc/shop/shop.env" ]
	# without --pubkey the deploy user's keys are not touched
	grep -q '^note no --pubkey' <<<"$output"
	[ ! -e "$R/home/deploy/.ssh" ]
}

@test "bootstrap: a second run changes nothing: same tree, checksums and mtimes, only unchanged lines" {
	run boot --pubkey "$KEY"
	[ "$status" -eq 0 ]
	before=$(snapshot)
	run boot --pubkey "$KEY"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(snapshot)" = "$before" ]
	[ "$(actions | wc -l)" -ge 14 ]
	[ "$(actions | grep -vc '^unchanged ')" -eq 0 ]
	grep -qx 'unchanged file /etc/mnw/mnw.env (root:mnw 640)' <<<"$output"
	grep -qx 'unchanged unit makenotwork.service enabled' <<<"$output"
}

@test "bootstrap: the env file is never overwritten; a wrong mode or owner is corrected" {
	run boot
	[ "$status" -eq 0 ]
	printf 'DATABASE_URL=postgres://app:s3cret@db/app\n' >"$R/etc/mnw/mnw.env"
	chmod 644 "$R/etc/mnw/mnw.env"
	sed -i 's#^/etc/mnw/mnw.env .*#/etc/mnw/mnw.env root:root#' "$R/.bootstrap-owners"
	run boot
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(cat "$R/etc/mnw/mnw.env")" = 'DATABASE_URL=postgres://app:s3cret@db/app' ]
	grep -qx 'changed mode of /etc/mnw/mnw.env: 644 -> 640' <<<"$output"
	grep -qx 'changed owner of /etc/mnw/mnw.env: root:root -> root:mnw' <<<"$output"
	[ "$(mode /etc/mnw/mnw.env)" = 640 ] && [ "$(owner /etc/mnw/mnw.env)" = root:mnw ]
	# the secret never reaches the output
	! grep -q s3cret <<<"$output" || false
}

@test "bootstrap: a public key is appended once, matched by key not comment; others are added" {
	ak="$R/home/deploy/.ssh/authorized_keys"
	run boot --pubkey "$KEY"
	[ "$status" -eq 0 ]
	# the same key from stdin under another comment: not added again
	sed 's/sandod@build$/other comment/' "$KEY" >"$BATS_TEST_TMPDIR/same.pub"
	run boot --pubkey - <"$BATS_TEST_TMPDIR/same.pub"
	[ "$status" -eq 0 ]
	grep -q '^unchanged key ssh-ed25519 ' <<<"$output"
	[ "$(wc -l <"$ak")" -eq 1 ]
	# an operator's line without a final newline, then a second key with options
	printf 'ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC7 operator' >>"$ak"
	ssh-keygen -q -t ed25519 -N '' -C second -f "$BATS_TEST_TMPDIR/key2"
	{ echo '# a comment line'; echo; printf 'from="10.0.0.1" %s\n' "$(cat "$BATS_TEST_TMPDIR/key2.pub")"; cat "$KEY"; } >"$BATS_TEST_TMPDIR/two.pub"
	run boot --pubkey "$BATS_TEST_TMPDIR/two.pub"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(grep -c '^appended key' <<<"$output")" -eq 1 ]
	[ "$(wc -l <"$ak")" -eq 3 ]
	[ "$(sed -n 2p "$ak")" = 'ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC7 operator' ]
	[ "$(sed -n 3p "$ak")" = "from=\"10.0.0.1\" $(cat "$BATS_TEST_TMPDIR/key2.pub")" ]
	before=$(snapshot)
	run boot --pubkey "$BATS_TEST_TMPDIR/two.pub"
	[ "$status" -eq 0 ]
	[ "$(snapshot)" = "$before" ]
}

@test "bootstrap: --dry-run prints what it would do and changes nothing" {
	run boot --dry-run --pubkey "$KEY"
	echo "$output"
	[ "$status" -eq 0 ]
	grep -qx 'would create file /etc/mnw/mnw.env (root:mnw 640)' <<<"$output"
	grep -qx 'would create user deploy (login, home /home/deploy, shell /bin/sh)' <<<"$output"
	grep -q '^would append key ssh-ed25519 ' <<<"$output"
	[ -z "$(ls -A "$R")" ]
	run boot --pubkey "$KEY"
	chmod 700 "$R/opt/mnw/releases"
	echo '# mine' >>"$R/etc/systemd/system/makenotwork.service"
	before=$(snapshot)
	run boot --dry-run --pubkey "$KEY"
	echo "$output"
	[ "$status" -eq 0 ]
	grep -qx 'would change mode of /opt/mnw/releases: 700 -> 755' <<<"$output"
	grep -q '^would rewrite file /etc/systemd/system/makenotwork.service ' <<<"$output"
	[ "$(snapshot)" = "$before" ]
}

@test "bootstrap: an edited unit is rewritten, its old contents kept beside it" {
	run boot
	u="$R/etc/systemd/system/makenotwork.service"
	cp "$u" "$BATS_TEST_TMPDIR/good"
	sed -i 's/^Restart=.*/Restart=always/' "$u"
	cp "$u" "$BATS_TEST_TMPDIR/edited"
	run boot
	echo "$output"
	[ "$status" -eq 0 ]
	grep -q '^rewrote file /etc/systemd/system/makenotwork.service ' <<<"$output"
	cmp "$u" "$BATS_TEST_TMPDIR/good"
	cmp "$u.bootstrap-old" "$BATS_TEST_TMPDIR/edited"
}

@test "bootstrap: bad names, relative paths and bad values are refused with exit 2 before any change" {
	t=$BATS_TEST_TMPDIR
	while IFS='|' read -r args msg; do
		# shellcheck disable=SC2086
		run "$BOOT" --root "$R" $args
		echo "$args -> $status: $output"
		[ "$status" -eq 2 ]
		grep -qF -- "$msg" <<<"$output"
	done <<EOF
|--app NAME is required
--app Mnw|--app 'Mnw': not a valid name
--app 1app|--app '1app': not a valid name
--app a/b|--app 'a/b': not a valid name
--app aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa|not a valid name
--app x --deploy-user De|--deploy-user 'De': not a valid name
--app x --service-user a;b|--service-user 'a;b': not a valid name
--app x --deploy-user root|the deploy user must not be root
--app x --deploy-user x|they must differ
--app x --release-root opt/x|--release-root 'opt/x': not an absolute path
--app x --release-root /opt/../etc|not a normalized directory
--app x --release-root /opt/a%b|only letters, digits
--app x --bin ../x|--bin '../x'
--app x --restart systemctl restart x|unknown option 'restart'
--app x --restart systemctl|the program must be an absolute path
--app x --restart /bin/x,ALL|only letters, digits, spaces
--app x --pubkey key.pub|--pubkey 'key.pub': not an absolute path
--app x --pubkey $t/none.pub|no such readable file
--app x --pubkey $t/key|that is a private key
--app x --pubkey /etc/hostname|not an OpenSSH public key line
--app x --dry-run=yes|--dry-run takes no value
--app --dry-run|--app needs a value
--app x --frobnicate|unknown option '--frobnicate'
EOF
	[ -z "$(ls -A "$R")" ]
	run "$BOOT" --app x --root relative/dir
	[ "$status" -eq 2 ]
	grep -qF -- "--root 'relative/dir': not an absolute path" <<<"$output"
	run "$BOOT" --app x --root "$BATS_TEST_TMPDIR/missing"
	[ "$status" -eq 2 ]
	grep -qF 'no such directory' <<<"$output"
	run "$BOOT" --app x --root /
	[ "$status" -eq 2 ]
}

@test "bootstrap: a symbolic link where a managed path belongs is refused" {
	mkdir -p "$R/opt" "$BATS_TEST_TMPDIR/elsewhere"
	ln -s "$BATS_TEST_TMPDIR/elsewhere" "$R/opt/mnw"
	run boot
	echo "$output"
	[ "$status" -eq 1 ]
	grep -qF "'/opt/mnw' is a symbolic link; refusing" <<<"$output"
	[ -z "$(ls -A "$BATS_TEST_TMPDIR/elsewhere")" ]
}

@test "bootstrap: --restart names the one command sudo allows; a bare program gets \"\" (no arguments)" {
	run boot --restart '/usr/local/bin/mnw-restart'
	[ "$status" -eq 0 ]
	grep -qx 'deploy ALL=(root) NOPASSWD: /usr/local/bin/mnw-restart ""' "$R/etc/sudoers.d/mnw-deploy"
	grep -qF 'restart = ["sudo", "/usr/local/bin/mnw-restart"]' <<<"$output"
}

@test "bootstrap: the generated sudoers rule parses (visudo -cf)" {
	command -v visudo >/dev/null || skip "visudo is not installed (package sudo)"
	run boot --deploy-user ci --restart '/usr/bin/systemctl restart makenotwork'
	[ "$status" -eq 0 ]
	visudo -cf "$R/etc/sudoers.d/mnw-deploy"
}

@test "bootstrap: the generated unit and deploy/sandod.service pass systemd-analyze verify" {
	command -v systemd-analyze >/dev/null || skip "systemd-analyze is not installed (package systemd)"
	run boot
	[ "$status" -eq 0 ]
	# verify checks that ExecStart= is executable: give the unit a release, and
	# point a copy's ExecStart at it inside the tree (the other paths are not
	# checked); likewise a stub for /usr/local/bin/sandod
	mkdir -p "$R/opt/mnw/releases/1.0.0" "$BATS_TEST_TMPDIR/verify"
	printf '#!/bin/sh\nexit 0\n' >"$R/opt/mnw/releases/1.0.0/makenotwork"
	chmod 755 "$R/opt/mnw/releases/1.0.0/makenotwork"
	ln -s releases/1.0.0 "$R/opt/mnw/current"
	cp "$R/opt/mnw/releases/1.0.0/makenotwork" "$BATS_TEST_TMPDIR/sandod"
	sed "s#^ExecStart=/#ExecStart=$R/#" "$R/etc/systemd/system/makenotwork.service" \
		>"$BATS_TEST_TMPDIR/verify/makenotwork.service"
	sed "s#^ExecStart=/usr/local/bin/sandod #ExecStart=$BATS_TEST_TMPDIR/sandod #" \
		"$SANDO_TOP/deploy/sandod.service" >"$BATS_TEST_TMPDIR/verify/sandod.service"
	grep -q "^ExecStart=$BATS_TEST_TMPDIR/sandod --config /etc/sando/daemon.toml$" "$BATS_TEST_TMPDIR/verify/sandod.service"
	for u in makenotwork sandod; do
		run systemd-analyze verify --man=no "$BATS_TEST_TMPDIR/verify/$u.service"
		echo "$u: $status: $output"
		[ "$status" -eq 0 ]
		# unknown keys and bad values are only warnings: none allowed
		[ -z "$output" ]
	done
	# sandod.service: the settings the deploy controller relies on
	for kv in User=sando 'ExecStart=/usr/local/bin/sandod --config /etc/sando/daemon.toml' \
		KillMode=mixed Restart=on-failure StateDirectory=sando LogsDirectory=sando \
		NoNewPrivileges=yes ProtectSystem=strict; do
		grep -qx "$kv" "$SANDO_TOP/deploy/sandod.service" || { echo "missing $kv"; false; }
	done
}

@test "bootstrap: shellcheck passes on the script" {
	command -v shellcheck >/dev/null || skip "shellcheck is not installed (tools/install-deps.sh installs it)"
	head -1 "$BOOT" | grep -qx '#!/bin/sh'
	shellcheck "$BOOT"
}

@test "bootstrap: --help describes the options and exits 0" {
	run "$BOOT" --help
	[ "$status" -eq 0 ]
	for o in --app --bin --release-root --deploy-user --service-user --pubkey --root --dry-run --restart; do
		grep -q -- "$o" <<<"$output"
	done
}

# A real run, not --root: useradd, chown, systemctl enable and sudo, in a
# private mount namespace whose /etc is a copy and whose /opt, /home and
# /var/lib are empty tmpfs, so nothing reaches this machine.
@test "bootstrap: a real run as root in a private mount namespace, twice" {
	[ "$(id -u)" -eq 0 ] || skip "needs root (useradd, chown)"
	command -v unshare >/dev/null && command -v useradd >/dev/null || skip "needs unshare and useradd"
	unshare -m true 2>/dev/null || skip "cannot unshare a mount namespace here"
	ns="$BATS_TEST_TMPDIR/ns"
	mkdir -p "$ns"
	cp -a /etc "$ns/etc"
	cat >"$ns/run.sh" <<EOF
set -e
mount --make-rprivate /
mount --bind "$ns/etc" /etc
for d in /opt /home /var/lib; do mount -t tmpfs tmpfs "\$d"; done
# never let a failed mount send useradd to the real /etc
mountpoint -q /etc && [ -z "\$(ls -A /opt)" ]
"$BOOT" --app mnw --bin makenotwork --service makenotwork --pubkey "$KEY"
echo ===
"$BOOT" --app mnw --bin makenotwork --service makenotwork --pubkey "$KEY"
echo ===
stat -c '%n %U:%G %a' /opt/mnw /opt/mnw/releases /var/lib/mnw /etc/mnw/mnw.env \
	/etc/sudoers.d/mnw-deploy /home/deploy/.ssh /home/deploy/.ssh/authorized_keys
getent passwd deploy | cut -d: -f1,6,7
getent passwd mnw | cut -d: -f1,6,7
if command -v sudo >/dev/null; then su -s /bin/sh deploy -c 'sudo -n -l' | grep NOPASSWD; fi
EOF
	run unshare -m sh "$ns/run.sh"
	echo "$output"
	[ "$status" -eq 0 ]
	second=$(sed -n '/^===$/,/^===$/p' <<<"$output" | grep -E '^(unchanged|created|changed|rewrote|appended|enabled) ')
	[ -n "$second" ]
	[ "$(grep -vc '^unchanged ' <<<"$second")" -eq 0 ]
	grep -qx '/opt/mnw deploy:deploy 755' <<<"$output"
	grep -qx '/opt/mnw/releases deploy:deploy 755' <<<"$output"
	grep -qx '/var/lib/mnw mnw:mnw 750' <<<"$output"
	grep -qx '/etc/mnw/mnw.env root:mnw 640' <<<"$output"
	grep -qx '/etc/sudoers.d/mnw-deploy root:root 440' <<<"$output"
	grep -qx '/home/deploy/.ssh/authorized_keys deploy:deploy 600' <<<"$output"
	grep -qx 'deploy:/home/deploy:/bin/sh' <<<"$output"
	grep -qx 'mnw:/var/lib/mnw:/usr/sbin/nologin' <<<"$output"
	if command -v sudo >/dev/null; then
		grep -qF '(root) NOPASSWD: /usr/bin/systemctl reload-or-restart makenotwork' <<<"$output"
	fi
	# nothing reached this machine
	! getent passwd mnw || false
	[ ! -e /etc/mnw ] && [ ! -e /opt/mnw ]
}

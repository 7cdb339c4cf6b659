#!/bin/sh
# bootstrap-node.sh: provision a node that sandod deploys to, in the seeds' FHS
# layout (release root /opt/<app>, env file /etc/<app>/<app>.env, state in
# /var/lib/<app>, a systemd unit, a deploy user that may only restart the app).
#
# POSIX sh (dash or bash); needs GNU coreutils (stat -c), awk, cmp, and for a
# real run: root, useradd, and systemctl when systemd is the init.  Usage and
# the layout are described in deploy/README.md and by --help.
#
# Idempotent: each managed path is compared with what it should be and touched
# only where it differs, so a second run prints only "unchanged" lines.  The
# env file is created once and its contents are never overwritten; public keys
# are appended once (matched by key, not by comment).
#
# Exit status: 0 done (or nothing to do), 1 a step failed, 2 bad usage.
set -eu
LC_ALL=C
export LC_ALL
umask 022

PROG=bootstrap-node

usage() {
	cat <<'EOF'
usage: bootstrap-node.sh --app NAME [options]

Provision this machine as a sando node (run as root), or a throwaway tree
with --root.  Running it again changes nothing that is already right.

  --app NAME            the application (required); names /etc/NAME/NAME.env,
                        /var/lib/NAME and, by default, the unit and its user
  --bin NAME            the binary in the release started by the unit (default: app)
  --service NAME        the systemd unit NAME.service (default: app)
  --release-root DIR    where sandod puts releases/ and current (default /opt/APP)
  --deploy-user USER    the user sandod logs in as over ssh (default deploy)
  --service-user USER   the user the app runs as (default: app)
  --restart CMD         the one command the deploy user may run with sudo
                        (default "/usr/bin/systemctl reload-or-restart SERVICE")
  --pubkey FILE|-       the controller's ssh public key(s) for the deploy user
  --root DIR            operate on the tree under DIR (tests): every path is
                        prefixed with DIR, users go to DIR/etc/passwd and
                        DIR/etc/group, owners to DIR/.bootstrap-owners
  --dry-run             print what would change, change nothing
  -h, --help            this text

Names (app, users, service): [a-z_][a-z0-9_-]{0,31}.  Directories: absolute.
EOF
}

usage_error() {
	printf '%s: %s\n' "$PROG" "$*" >&2
	printf "%s: try '%s --help'\n" "$PROG" "$0" >&2
	exit 2
}

fail() {
	printf '%s: error: %s\n' "$PROG" "$*" >&2
	exit 1
}

say() { printf '%s %s\n' "$1" "$2"; }

# act VERB PAST TEXT: report a change ("created ..." or "would create ...").
act() {
	if [ "$DRY" = 1 ]; then say "would $1" "$3"; else say "$2" "$3"; fi
}

dry() { [ "$DRY" = 1 ]; }

# ---- validation -------------------------------------------------------------

valid_name() {
	case $1 in
	'' | [!a-z_]* | *[!a-z0-9_-]*) return 1 ;;
	esac
	[ "${#1}" -le 32 ]
}

need_name() { # need_name OPTION VALUE
	valid_name "$2" || usage_error "$1 '$2': not a valid name (want [a-z_][a-z0-9_-]{0,31})"
}

# An absolute path of plain characters, no '.' or '..' components, not '/'.
need_abs_dir() { # need_abs_dir OPTION VALUE
	case $2 in
	/*) ;;
	*) usage_error "$1 '$2': not an absolute path" ;;
	esac
	case $2 in
	*[!A-Za-z0-9._/-]*) usage_error "$1 '$2': only letters, digits and . _ - / are allowed" ;;
	*//* | */./* | */../* | */. | */.. | /) usage_error "$1 '$2': not a normalized directory (no //, ., .. or /)" ;;
	esac
}

need_bin() {
	case $1 in
	'' | [.-]* | *[!A-Za-z0-9._-]*) usage_error "--bin '$1': want a file name of letters, digits and . _ - (no /)" ;;
	esac
}

# The restart command goes into sudoers verbatim: an absolute program and plain
# words (no sudoers specials , : = \ or quotes), one space apart.
need_restart() {
	case $1 in
	/*) ;;
	*) usage_error "--restart '$1': the program must be an absolute path (sudoers matches it)" ;;
	esac
	case $1 in
	*[!A-Za-z0-9_./@+\ -]*) usage_error "--restart '$1': only letters, digits, spaces and _ . / @ + - are allowed" ;;
	*'  '* | *' ') usage_error "--restart '$1': words must be separated by single spaces" ;;
	esac
}

# ---- options -----------------------------------------------------------------

APP='' BIN='' SERVICE='' RR='' DEPLOY=deploy SVC='' RESTART='' PUBKEY='' ROOT='' DRY=0 have_root=0

while [ $# -gt 0 ]; do
	opt=$1
	case $opt in
	--*=*) val=${opt#*=} opt=${opt%%=*} has=1 ;;
	*) val=${2-} has=$(($# > 1)) ;;
	esac
	case $opt in
	-h | --help | --dry-run)
		[ "$opt" = "$1" ] || usage_error "$opt takes no value"
		[ "$opt" = --dry-run ] || { usage; exit 0; }
		DRY=1
		shift
		continue
		;;
	--app | --bin | --service | --release-root | --deploy-user | --service-user | --restart | --pubkey | --root)
		case $has:$val in 1:--*) has=0 ;; esac
		[ "$has" = 1 ] || usage_error "$opt needs a value"
		case $1 in --*=*) shift ;; *) shift 2 ;; esac
		;;
	*) usage_error "unknown option '$opt'" ;;
	esac
	case $opt in
	--app) APP=$val ;;
	--bin) BIN=$val ;;
	--service) SERVICE=$val ;;
	--release-root) RR=$val ;;
	--deploy-user) DEPLOY=$val ;;
	--service-user) SVC=$val ;;
	--restart) RESTART=$val ;;
	--pubkey) PUBKEY=$val ;;
	--root) ROOT=$val have_root=1 ;;
	esac
done

[ -n "$APP" ] || usage_error "--app NAME is required"
need_name --app "$APP"
: "${BIN:=$APP}" "${SERVICE:=$APP}" "${SVC:=$APP}" "${RR:=/opt/$APP}"
[ "$RR" != / ] || usage_error "--release-root /: give the application its own directory"
RR=${RR%/}
need_bin "$BIN"
need_name --service "$SERVICE"
need_name --deploy-user "$DEPLOY"
need_name --service-user "$SVC"
need_abs_dir --release-root "$RR"
: "${RESTART:=/usr/bin/systemctl reload-or-restart $SERVICE}"
need_restart "$RESTART"
[ "$DEPLOY" != root ] || usage_error "--deploy-user root: the deploy user must not be root"
[ "$SVC" != root ] || usage_error "--service-user root: the app must not run as root"
[ "$DEPLOY" != "$SVC" ] || usage_error "--deploy-user and --service-user are both '$SVC': they must differ (the app must not be able to rewrite its releases)"
if [ "$have_root" = 1 ]; then
	case $ROOT in
	/) usage_error "--root /: leave --root out to provision this machine" ;;
	/*) ;;
	*) usage_error "--root '$ROOT': not an absolute path" ;;
	esac
	ROOT=${ROOT%/}
	[ -d "$ROOT" ] || usage_error "--root '$ROOT': no such directory"
fi
if [ -n "$PUBKEY" ] && [ "$PUBKEY" != - ]; then
	case $PUBKEY in
	/*) ;;
	*) usage_error "--pubkey '$PUBKEY': not an absolute path (or - for stdin)" ;;
	esac
	if [ ! -f "$PUBKEY" ] || [ ! -r "$PUBKEY" ]; then
		usage_error "--pubkey '$PUBKEY': no such readable file"
	fi
fi
if [ -z "$ROOT" ] && ! dry && [ "$(id -u)" != 0 ]; then
	fail "run as root to provision this machine (or use --dry-run, or --root DIR)"
fi

SCRATCH=$(mktemp -d "${TMPDIR:-/tmp}/bootstrap-node.XXXXXX")
trap 'rm -rf "$SCRATCH"' EXIT
trap 'exit 1' HUP INT TERM
OWNERS=$ROOT/.bootstrap-owners

# P PATH: where the node path PATH is on this machine.
P() { printf '%s%s' "$ROOT" "$1"; }

# ---- public keys -------------------------------------------------------------

# Print "type blob" for every OpenSSH public key line of the files given (the
# key itself, whatever the options in front or the comment after).
KEYTYPES='^(ssh-(ed25519|rsa|dss)|ecdsa-sha2-nistp(256|384|521)|sk-ssh-ed25519@openssh[.]com|sk-ecdsa-sha2-nistp256@openssh[.]com)$'
key_blobs() {
	awk -v kt="$KEYTYPES" '
	/^[ \t]*(#|$)/ { next }
	{
		for (i = 1; i < NF; i++)
			if ($i ~ kt && $(i + 1) ~ /^AAAA[A-Za-z0-9+\/]+=*$/) { print $i " " $(i + 1); next }
		print "-"
	}' "$@"
}

read_pubkeys() {
	if [ "$PUBKEY" = - ]; then cat >"$SCRATCH/pubkey.in"; else cat -- "$PUBKEY" >"$SCRATCH/pubkey.in"; fi
	if grep -q 'PRIVATE KEY' "$SCRATCH/pubkey.in"; then
		usage_error "--pubkey '$PUBKEY': that is a private key; give the .pub file"
	fi
	tr -d '\r' <"$SCRATCH/pubkey.in" | grep -v '^[[:space:]]*\(#\|$\)' >"$SCRATCH/pubkey" || true
	[ -s "$SCRATCH/pubkey" ] || usage_error "--pubkey '$PUBKEY': no public key in it"
	if key_blobs "$SCRATCH/pubkey" | grep -qx -- -; then
		usage_error "--pubkey '$PUBKEY': not an OpenSSH public key line ('ssh-ed25519 AAAA... comment')"
	fi
}

# ---- ownership: real chown, or the records of a --root tree -------------------

owner_of() {
	if [ -n "$ROOT" ]; then
		[ -f "$OWNERS" ] || { echo '?:?'; return 0; }
		awk -v p="$1" '$1 == p { o = $2 } END { print (o == "" ? "?:?" : o) }' "$OWNERS"
	else
		stat -c '%U:%G' -- "$1"
	fi
}

# set_owner PATH OWNER:GROUP (the file at PATH already exists)
set_owner() {
	if [ -n "$ROOT" ]; then
		{
			[ ! -f "$OWNERS" ] || awk -v p="$1" '$1 != p' "$OWNERS"
			printf '%s %s\n' "$1" "$2"
		} | sort >"$SCRATCH/owners"
		cp -- "$SCRATCH/owners" "$OWNERS.new" && mv -f -- "$OWNERS.new" "$OWNERS"
	else
		chown -h -- "$2" "$1"
	fi
}

mode_of() { stat -c '%a' -- "$(P "$1")"; }

# fix_attrs KIND PATH OWNER:GROUP MODE: report or correct owner and mode.
fix_attrs() {
	_same=1
	_og=$(owner_of "$2")
	if [ "$_og" != "$3" ]; then
		act change changed "owner of $2: $_og -> $3"
		dry || set_owner "$2" "$3"
		_same=0
	fi
	_m=$(mode_of "$2")
	if [ "$_m" != "$4" ]; then
		act change changed "mode of $2: $_m -> $4"
		dry || chmod -- "$4" "$(P "$2")"
		_same=0
	fi
	[ "$_same" = 0 ] || say unchanged "$1 $2 ($3 $4)"
}

no_symlink() {
	[ ! -L "$(P "$1")" ] || fail "'$1' is a symbolic link; refusing to manage it (give the real path)"
}

# ensure_dir PATH OWNER:GROUP MODE
ensure_dir() {
	no_symlink "$1"
	_f=$(P "$1")
	if [ -e "$_f" ]; then
		[ -d "$_f" ] || fail "'$1' exists and is not a directory"
		fix_attrs dir "$1" "$2" "$3"
		return 0
	fi
	act create created "dir $1 ($2 $3)"
	dry && return 0
	mkdir -p -- "$(dirname -- "$_f")"
	mkdir -- "$_f"
	set_owner "$1" "$2"
	chmod -- "$3" "$_f"
}

# install_file SRC PATH OWNER:GROUP MODE: put SRC in place by a rename.
install_file() {
	_f=$(P "$2")
	mkdir -p -- "$(dirname -- "$_f")"
	# a name with a dot: sudo's includedir and systemd both skip it meanwhile
	(umask 077 && cp -- "$1" "$_f.bootstrap-new")
	chmod -- "$4" "$_f.bootstrap-new"
	[ -n "$ROOT" ] || chown -- "$3" "$_f.bootstrap-new"
	mv -f -- "$_f.bootstrap-new" "$_f"
	[ -z "$ROOT" ] || set_owner "$2" "$3"
}

# ensure_file SRC PATH OWNER:GROUP MODE [once|backup]: PATH gets SRC's
# contents, unless "once" (created when missing, never rewritten); "backup"
# keeps the previous contents as PATH.bootstrap-old when it rewrites.
ensure_file() {
	no_symlink "$2"
	_f=$(P "$2")
	if [ ! -e "$_f" ]; then
		act create created "file $2 ($3 $4)"
		dry || install_file "$1" "$2" "$3" "$4"
		return 0
	fi
	[ -f "$_f" ] || fail "'$2' exists and is not a regular file"
	if [ "${5-}" != once ] && ! cmp -s -- "$1" "$_f"; then
		if [ "${5-}" = backup ]; then
			act rewrite rewrote "file $2 ($3 $4; previous contents kept as $2.bootstrap-old)"
			dry || cp -p -- "$_f" "$_f.bootstrap-old"
		else
			act rewrite rewrote "file $2 ($3 $4)"
		fi
		dry || install_file "$1" "$2" "$3" "$4"
		return 0
	fi
	fix_attrs file "$2" "$3" "$4"
}

# ---- users -------------------------------------------------------------------

# passwd_field NAME N: field N of NAME's passwd entry (empty if none).
passwd_field() {
	if [ -n "$ROOT" ]; then
		[ -f "$ROOT/etc/passwd" ] || return 0
		awk -F: -v n="$1" -v k="$2" '$1 == n { print $k; exit }' "$ROOT/etc/passwd"
	else
		getent passwd "$1" | cut -d: -f"$2" || true
	fi
}

group_gid() {
	if [ -n "$ROOT" ]; then
		[ -f "$ROOT/etc/group" ] || return 0
		awk -F: -v n="$1" '$1 == n { print $3; exit }' "$ROOT/etc/group"
	else
		getent group "$1" | cut -d: -f3 || true
	fi
}

group_name() {
	if [ -n "$ROOT" ]; then
		[ -f "$ROOT/etc/group" ] || return 0
		awk -F: -v g="$1" '$3 == g { print $1; exit }' "$ROOT/etc/group"
	else
		getent group "$1" | cut -d: -f1 || true
	fi
}

# A free uid (and gid) the way useradd picks one: system ids downward from 999,
# others upward from 1000.
free_id() {
	cat "$ROOT/etc/passwd" "$ROOT/etc/group" 2>/dev/null |
		awk -F: -v sys="$1" '
		{ used[$3] = 1 }
		END {
			if (sys) { for (i = 999; i >= 100; i--) if (!(i in used)) { print i; exit } }
			else { for (i = 1000; i < 60000; i++) if (!(i in used)) { print i; exit } }
		}'
}

# ensure_user NAME system|login COMMENT HOME SHELL
ensure_user() {
	if [ -n "$(passwd_field "$1" 1)" ]; then
		say unchanged "user $1 (exists)"
		return 0
	fi
	act create created "user $1 ($2, home $4, shell $5)"
	dry && return 0
	_gid=$(group_gid "$1")
	if [ -z "$ROOT" ]; then
		_name=$1 _kind=$2
		set -- --comment "$3" --home-dir "$4" --shell "$5"
		if [ -n "$_gid" ]; then set -- "$@" --gid "$_name"; else set -- "$@" --user-group; fi
		if [ "$_kind" = system ]; then
			set -- "$@" --system --no-create-home
		else
			# '*': no password login, but not "locked" (sshd may refuse locked accounts)
			set -- "$@" --create-home --password '*'
		fi
		useradd "$@" -- "$_name" || fail "useradd '$_name' failed"
		return 0
	fi
	mkdir -p -- "$ROOT/etc"
	_sys=0
	[ "$2" != system ] || _sys=1
	_uid=$(free_id "$_sys")
	if [ -z "$_gid" ]; then
		_gid=$_uid
		printf '%s:x:%s:\n' "$1" "$_gid" >>"$ROOT/etc/group"
	fi
	printf '%s:x:%s:%s:%s:%s:%s\n' "$1" "$_uid" "$_gid" "$3" "$4" "$5" >>"$ROOT/etc/passwd"
	if [ "$2" != system ]; then
		mkdir -p -- "$(P "$4")"
		set_owner "$4" "$1:$1"
		chmod 700 -- "$(P "$4")"
	fi
}

# primary_group USER [FALLBACK]: the user's group name (FALLBACK in a dry run
# where the user does not exist yet).
primary_group() {
	_g=$(passwd_field "$1" 4)
	if [ -z "$_g" ]; then printf '%s' "$2"; return 0; fi
	_n=$(group_name "$_g")
	printf '%s' "${_n:-$_g}"
}

# ---- generated files ---------------------------------------------------------

gen_unit() {
	cat <<EOF
# $SERVICE.service: generated by sando's deploy/bootstrap-node.sh.  Rerunning
# the script rewrites this file: put local changes in a drop-in
# (systemctl edit $SERVICE).  sandod swaps $RR/current to a new release
# and runs "$RESTART" as $DEPLOY through sudo.
[Unit]
Description=$APP (deployed by sando)
Wants=network-online.target
After=network-online.target

[Service]
Type=exec
User=$SVC
Group=$SVC_GROUP
# the release sandod made current: a restart picks up the new symlink target
WorkingDirectory=$RR/current
ExecStart=$RR/current/$BIN
# secrets and settings (KEY=value lines); root:$SVC_GROUP 0640, never in a release
EnvironmentFile=/etc/$APP/$APP.env
# /var/lib/$APP, created and owned for the service user by systemd
StateDirectory=$APP
StateDirectoryMode=0750
Restart=on-failure
RestartSec=2
# hardening: the app may write only its state directory
NoNewPrivileges=yes
ProtectSystem=strict
ReadWritePaths=/var/lib/$APP
ProtectHome=yes
PrivateTmp=yes
PrivateDevices=yes
ProtectKernelTunables=yes
ProtectKernelModules=yes
ProtectKernelLogs=yes
ProtectControlGroups=yes
ProtectClock=yes
ProtectHostname=yes
RestrictSUIDSGID=yes
RestrictRealtime=yes
LockPersonality=yes
RemoveIPC=yes
UMask=0027

[Install]
WantedBy=multi-user.target
EOF
}

gen_sudoers() {
	_cmd=$RESTART
	# a command without arguments in sudoers allows ANY arguments: "" means none
	case $_cmd in *' '*) ;; *) _cmd="$_cmd \"\"" ;; esac
	cat <<EOF
# generated by sando's deploy/bootstrap-node.sh: the deploy user '$DEPLOY' may
# run exactly this one command as root, without a password and without a tty
# (sandod runs it over ssh after swapping $RR/current).
Defaults:$DEPLOY !requiretty
$DEPLOY ALL=(root) NOPASSWD: $_cmd
EOF
}

gen_env() {
	cat <<EOF
# Environment of $SERVICE.service (KEY=value lines), read by systemd when the
# service starts.  Secrets go here: this file is root:$SVC_GROUP 0640 and is
# never part of a release.  Created empty by sando's bootstrap-node.sh, which
# never overwrites it.
EOF
}

# ---- the steps -----------------------------------------------------------------

[ -z "$PUBKEY" ] || read_pubkeys
[ -z "$ROOT" ] || say note "operating on the tree under $ROOT: users are recorded in $ROOT/etc/passwd and $ROOT/etc/group, owners in $OWNERS"
dry && say note "dry run: nothing is changed"

ensure_user "$SVC" system "$APP service" "/var/lib/$APP" /usr/sbin/nologin
ensure_user "$DEPLOY" login "sando deploy user" "/home/$DEPLOY" /bin/sh
SVC_GROUP=$(primary_group "$SVC" "$SVC")
DEPLOY_GROUP=$(primary_group "$DEPLOY" "$DEPLOY")
DEPLOY_HOME=$(passwd_field "$DEPLOY" 6)
: "${DEPLOY_HOME:=/home/$DEPLOY}"
case $DEPLOY_HOME in
/*) ;;
*) fail "user '$DEPLOY' has the home directory '$DEPLOY_HOME', not an absolute path" ;;
esac

gen_unit >"$SCRATCH/unit"
gen_sudoers >"$SCRATCH/sudoers"
gen_env >"$SCRATCH/env"
if command -v visudo >/dev/null 2>&1; then
	visudo -cqf "$SCRATCH/sudoers" >"$SCRATCH/visudo.out" 2>&1 ||
		fail "the generated sudoers rule does not parse: $(cat "$SCRATCH/visudo.out")"
else
	say note "visudo not found (sudo not installed?): the sudoers rule is written but not validated"
fi

# releases: the deploy user writes releases/ and swaps current in the root
ensure_dir "$RR" "$DEPLOY:$DEPLOY_GROUP" 755
ensure_dir "$RR/releases" "$DEPLOY:$DEPLOY_GROUP" 755
ensure_dir "/etc/$APP" root:root 755
ensure_file "$SCRATCH/env" "/etc/$APP/$APP.env" "root:$SVC_GROUP" 640 once
ensure_dir "/var/lib/$APP" "$SVC:$SVC_GROUP" 750
ensure_dir /etc/systemd/system root:root 755
unit_changed=0
cmp -s -- "$SCRATCH/unit" "$(P "/etc/systemd/system/$SERVICE.service")" 2>/dev/null || unit_changed=1
ensure_file "$SCRATCH/unit" "/etc/systemd/system/$SERVICE.service" root:root 644 backup
ensure_dir /etc/sudoers.d root:root 755
ensure_file "$SCRATCH/sudoers" "/etc/sudoers.d/$APP-deploy" root:root 440

# enable the unit (not started: the first promote's restart starts it)
if [ -n "$ROOT" ]; then
	wants=/etc/systemd/system/multi-user.target.wants/$SERVICE.service
	if [ "$(readlink -- "$(P "$wants")" 2>/dev/null || true)" = "/etc/systemd/system/$SERVICE.service" ]; then
		say unchanged "unit $SERVICE.service enabled"
	else
		act enable enabled "unit $SERVICE.service ($wants)"
		if ! dry; then
			mkdir -p -- "$(P "${wants%/*}")"
			ln -sfn -- "/etc/systemd/system/$SERVICE.service" "$(P "$wants")"
		fi
	fi
elif command -v systemctl >/dev/null 2>&1; then
	if [ -d /run/systemd/system ] && [ "$unit_changed" = 1 ] && ! dry; then
		systemctl daemon-reload
	fi
	if systemctl is-enabled --quiet "$SERVICE.service" 2>/dev/null; then
		say unchanged "unit $SERVICE.service enabled"
	else
		act enable enabled "unit $SERVICE.service"
		dry || systemctl enable --quiet "$SERVICE.service"
	fi
else
	say note "systemctl not found: $SERVICE.service is written but not enabled"
fi

# the controller's key: restricted (no forwarding, no pty) unless given options
if [ -z "$PUBKEY" ]; then
	say note "no --pubkey: $DEPLOY_HOME/.ssh/authorized_keys not touched"
else
	[ -e "$(P "$DEPLOY_HOME")" ] || ensure_dir "$DEPLOY_HOME" "$DEPLOY:$DEPLOY_GROUP" 700
	ensure_dir "$DEPLOY_HOME/.ssh" "$DEPLOY:$DEPLOY_GROUP" 700
	ak=$DEPLOY_HOME/.ssh/authorized_keys
	no_symlink "$ak"
	if [ -e "$(P "$ak")" ]; then
		[ -f "$(P "$ak")" ] || fail "'$ak' exists and is not a regular file"
		fix_attrs file "$ak" "$DEPLOY:$DEPLOY_GROUP" 600
		key_blobs "$(P "$ak")" >"$SCRATCH/have"
	else
		act create created "file $ak ($DEPLOY:$DEPLOY_GROUP 600)"
		: >"$SCRATCH/have"
	fi
	: >"$SCRATCH/add"
	key_blobs "$SCRATCH/pubkey" >"$SCRATCH/blobs"
	# line N of blobs is the key of line N of pubkey
	while IFS= read -r blob <&4 && IFS= read -r line <&3; do
		b64=${blob#* }
		short="${blob%% *} ...${b64#"${b64%????????????????}"}"
		if grep -qxF -- "$blob" "$SCRATCH/have"; then
			say unchanged "key $short in $ak"
			continue
		fi
		case $line in
		ssh-* | ecdsa-* | sk-*) line="restrict $line" ;;
		esac
		printf '%s\n' "$line" >>"$SCRATCH/add"
		printf '%s\n' "$blob" >>"$SCRATCH/have"
		act append appended "key $short to $ak"
	done 3<"$SCRATCH/pubkey" 4<"$SCRATCH/blobs"
	if [ -s "$SCRATCH/add" ] && ! dry; then
		f=$(P "$ak")
		if [ -e "$f" ]; then
			# end an unterminated last line first
			[ -z "$(tail -c 1 -- "$f")" ] || echo >>"$f"
			cat -- "$SCRATCH/add" >>"$f"
		else
			install_file "$SCRATCH/add" "$ak" "$DEPLOY:$DEPLOY_GROUP" 600
		fi
	fi
fi

# what sandod needs on a real node
if [ -z "$ROOT" ]; then
	for prog in rsync curl sudo; do
		command -v "$prog" >/dev/null 2>&1 ||
			say note "'$prog' is not installed: sandod needs it on the node (apt-get install $prog)"
	done
fi

printf 'in sando.toml, this node is:\n'
printf '  ssh_target = "%s@<this host>"\n  release_root = "%s"\n' "$DEPLOY" "$RR"
printf '  restart = ["sudo"'
# shellcheck disable=SC2086 # split into words: RESTART has no glob characters
for w in $RESTART; do printf ', "%s"' "$w"; done
printf ']   # on its tier\n'

#!/bin/sh
# Install the Debian packages sando needs to build, test and run its demo.
# Idempotent: installs only what is missing; uses sudo only when not root.
set -eu

# build: compiler, Meson + Ninja, the libraries of DESIGN.md section 8
BUILD="gcc libc6-dev make meson ninja-build pkg-config python3
  libuv1-dev node-llhttp libwslay-dev libjansson-dev libsqlite3-dev libssl-dev libpq-dev libncurses-dev"
# run: the programs sandod drives
RUN="git rsync openssh-client postgresql-client"
# test: unit tests, system tests and their probes
TEST="libcriterion-dev bats curl jq sqlite3 procps postgresql util-linux openssh-server prometheus shellcheck sudo tmux parallel"

missing=""
for p in $BUILD $RUN $TEST; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
		missing="$missing $p"
	fi
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -eq 0 ]; then SUDO=""; else SUDO="sudo"; fi
echo "install-deps: installing:$missing"
$SUDO apt-get update -qq
# shellcheck disable=SC2086
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null

#!/bin/bash
# `demo-app migrate` against a fake psql placed first in PATH, so the suite
# needs no PostgreSQL: the fake checks the argv demo-app passes, keeps the
# _demo_migrations rows in a file, and fails any migration containing FAIL.
set -u
cd "$(dirname "$0")/.." || exit 1
. tests/lib.sh

app=$PWD/demo-app
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/bin" "$tmp/work/migrations" "$tmp/empty"
cp migrations/*.sql "$tmp/work/migrations/"

cat >"$tmp/bin/psql" <<'FAKE'
#!/bin/bash
# fake psql: FAKE_STATE holds "version|checksum" rows, FAKE_FILES the -f files run.
[ "$1 $2 $3 $4 $5 $6 $7" = "--no-psqlrc --quiet -v ON_ERROR_STOP=1 -v VERBOSITY=verbose -d" ] ||
	{ echo "fake psql: unexpected options: $1 $2 $3 $4 $5 $6 $7" >&2; exit 64; }
[ "$8" = "$EXPECTED_URL" ] || { echo "fake psql: unexpected database" >&2; exit 64; }
shift 8
file= cmds=()
while [ $# -gt 0 ]; do
	case $1 in
	-f) file=$2; shift ;;
	-c) cmds+=("$2"); shift ;;
	esac
	shift
done
if [ -n "$file" ]; then
	if grep -q FAIL "$file"; then
		echo "psql:$file:1: ERROR:  42601: syntax error at or near \"FAIL\"" >&2
		exit 3
	fi
	echo "$file" >>"$FAKE_FILES"
fi
for c in "${cmds[@]}"; do
	case $c in
	SELECT*) cat "$FAKE_STATE" ;;
	INSERT*) sed -n "s/.*VALUES ('\([^']*\)', '\([^']*\)').*/\1|\2/p" <<<"$c" >>"$FAKE_STATE" ;;
	esac
done
FAKE
chmod +x "$tmp/bin/psql"

export EXPECTED_URL='postgres://demo:s3cret@127.0.0.1:5432/demo'
export FAKE_STATE=$tmp/state FAKE_FILES=$tmp/files
: >"$FAKE_STATE"
: >"$FAKE_FILES"
cd "$tmp/work" || exit 1

# migrate [VAR=value...]: run demo-app migrate; output in $OUT, status in $RC.
migrate() {
	OUT=$(env PATH="$tmp/bin:$PATH" DATABASE_URL="$EXPECTED_URL" "$@" "$app" migrate 2>&1)
	RC=$?
}

OUT=$(env -u DATABASE_URL "$app" migrate 2>&1)
check "no DATABASE_URL: exit 2 with a message" \
	test "$?:$OUT" = "2:error: DATABASE_URL is not set"

migrate
check "a fresh database gets both migrations" \
	test "$RC" = 0 -a "$(tail -n 1 <<<"$OUT")" = "applied 2 migrations"
check "migrations run in order" test "$(cat "$FAKE_FILES")" = \
	"$(printf 'migrations/0001_create_items.sql\nmigrations/0002_add_price.sql')"
check "each is recorded with its SHA-256" test "$(cat "$FAKE_STATE")" = \
	"$(sha256sum migrations/*.sql | sed 's|^\([0-9a-f]*\)  migrations/\(.*\)\.sql$|\2\|\1|')"

: >"$FAKE_FILES"
migrate
check "a second run applies nothing" \
	test "$RC:$OUT" = "0:applied 0 migrations" -a ! -s "$FAKE_FILES"

printf 'CREATE INDEX items_name ON items (name);\n' >migrations/0003_index.sql
migrate
check "a new migration is applied alone" \
	test "$RC" = 0 -a "$(tail -n 1 <<<"$OUT")" = "applied 1 migrations" -a \
	"$(cat "$FAKE_FILES")" = migrations/0003_index.sql

cp migrations/0001_create_items.sql "$tmp/0001.orig"
echo '-- edited' >>migrations/0001_create_items.sql
printf 'SELECT 1;\n' >migrations/0004_more.sql
: >"$FAKE_FILES"
migrate
check "a modified applied migration: exit 3, nothing applied" \
	test "$RC:$OUT" = "3:error: migration 0001_create_items was modified after it was applied" \
	-a ! -s "$FAKE_FILES"
cp "$tmp/0001.orig" migrations/0001_create_items.sql
rm migrations/0004_more.sql

printf 'FAIL;\n' >migrations/0005_broken.sql
migrate
check "a failing migration: exit 2 with psql's error and SQLSTATE" \
	test "$RC" = 2 -a "$(head -n 1 <<<"$OUT")" = "error: migration 0005_broken failed" \
	-a "$(grep -c 'ERROR:  42601' <<<"$OUT")" = 1
check "a failing migration is not recorded" test "$(grep -c 0005 "$FAKE_STATE")" = 0
rm migrations/0005_broken.sql

OUT=$(env PATH="$tmp/empty" DATABASE_URL="$EXPECTED_URL" "$app" migrate 2>&1)
check "no psql on PATH: exit 2" test "$?" = 2 -a "$(grep -c "cannot run 'psql'" <<<"$OUT")" = 1

printf 'SELECT 1;\n' >migrations/oops.sql
migrate
check "a badly named migration file: exit 2" test "$RC" = 2
rm migrations/oops.sql

all=$(
	migrate
	echo "$OUT"
	OUT=$(env PATH="$tmp/bin:$PATH" DATABASE_URL=postgres://x:s3cret@h/d "$app" migrate 2>&1)
	echo "$OUT"
)
check "the database URL's password is never printed" test "${all#*s3cret}" = "$all"

[ "$failures" -eq 0 ]

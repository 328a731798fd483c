#!/usr/bin/env bash
# Create the SQLite database of Kamailio's auth_db (registrar-memory.cfg with WITH_AUTH_DB) from
# registrar's own: the subscriber table of the schema Kamailio ships (auth_db-create.sql, from
# kamailio-sqlite-modules), filled with every user of REGISTRAR_DB's users table (username,
# realm as domain, MD5 HA1 as ha1), in WAL mode as registrar's database is. So both servers
# check the same credentials from the same kind of store. An existing file is replaced.
#
#   bench/kamailio/create-subscribers.sh REGISTRAR_DB [DBFILE]   (default /tmp/kamailio-subscribers.sqlite)
set -euo pipefail
src=${1:?usage: create-subscribers.sh REGISTRAR_DB [DBFILE]}
db=${2:-/tmp/kamailio-subscribers.sqlite}
schema=${KAMAILIO_SCHEMA_DIR:-/usr/share/kamailio/db_sqlite}
for f in standard-create.sql auth_db-create.sql; do
  [[ -r $schema/$f ]] || { echo "missing $schema/$f (install kamailio-sqlite-modules)" >&2; exit 1; }
done
command -v sqlite3 >/dev/null || { echo "need the sqlite3 CLI (apt-get install sqlite3)" >&2; exit 1; }
[[ -r $src ]] || { echo "no such database: $src" >&2; exit 1; }
rm -f "$db" "$db-journal" "$db-wal" "$db-shm"
{ cat "$schema/standard-create.sql" "$schema/auth_db-create.sql"
  echo "ATTACH '$src' AS registrar;"
  echo "INSERT INTO subscriber (username, domain, ha1) SELECT username, realm, ha1_md5 FROM registrar.users;"
  echo "DETACH registrar;"
  echo "PRAGMA journal_mode=WAL;"
} | timeout 300 sqlite3 "$db" >/dev/null
echo "created $db: $(timeout 10 sqlite3 "$db" 'select count(*) from subscriber') subscribers" >&2

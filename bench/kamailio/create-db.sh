#!/usr/bin/env bash
# Create the SQLite database registrar-sqlite.cfg writes usrloc to, from the
# schema Kamailio ships (Debian package kamailio-sqlite-modules puts it in
# /usr/share/kamailio/db_sqlite/): the "version" table (standard-create.sql)
# plus location/location_attrs (usrloc-create.sql), then switches the file to
# WAL journaling.  An existing file is replaced.
#
#   bench/kamailio/create-db.sh [DBFILE]     (default /tmp/kamailio-registrar.sqlite)
set -euo pipefail
db=${1:-/tmp/kamailio-registrar.sqlite}
schema=${KAMAILIO_SCHEMA_DIR:-/usr/share/kamailio/db_sqlite}
for f in standard-create.sql usrloc-create.sql; do
  [[ -r $schema/$f ]] || { echo "missing $schema/$f (install kamailio-sqlite-modules)" >&2; exit 1; }
done
command -v sqlite3 >/dev/null || { echo "need the sqlite3 CLI (apt-get install sqlite3)" >&2; exit 1; }
rm -f "$db" "$db-journal" "$db-wal" "$db-shm"
{ cat "$schema/standard-create.sql" "$schema/usrloc-create.sql"
  # WAL is stored in the file: fewer fsyncs, readers never block the writer.
  echo "PRAGMA journal_mode=WAL;"
} | timeout 30 sqlite3 "$db" >/dev/null
echo "created $db: $(timeout 10 sqlite3 "$db" 'select group_concat(table_name||"="||table_version, " ") from version')" >&2

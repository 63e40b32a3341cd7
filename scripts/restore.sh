#!/bin/sh
# Restore a dump made by scripts/backup.sh (docs/operations.md).
#   scripts/restore.sh var/backups/ektp-20250101-020000.dump
#       replaces the configured database (asks first, saves a safety backup; stop the app first)
#   scripts/restore.sh FILE --database ektp_check --create
#       restores into a new database on the same server, e.g. to test a backup
# Extra arguments go to `manage.py db_restore` (see --help).
set -eu
if [ "$#" -lt 1 ]; then
    echo "usage: $0 DUMP_FILE [--database NAME --create] [--noinput]" >&2
    exit 2
fi
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
PYTHON="${PYTHON:-$ROOT/.venv/bin/python}"
exec "$PYTHON" "$ROOT/manage.py" db_restore "$@"

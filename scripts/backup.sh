#!/bin/sh
# Back up the app's PostgreSQL database (embedded pgserver or DATABASE_URL) into BACKUP_DIR.
# For cron or a systemd timer (docs/operations.md). Extra arguments go to `manage.py db_backup`,
# e.g. --output /mnt/usb/ektp.dump or --keep-days 60. Exit status is non-zero on any failure.
set -eu
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
PYTHON="${PYTHON:-$ROOT/.venv/bin/python}"
exec "$PYTHON" "$ROOT/manage.py" db_backup "$@"

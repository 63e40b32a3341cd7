"""Start the embedded PostgreSQL (pgserver) used when DATABASE_URL is unset."""

from __future__ import annotations

import fcntl
import warnings
from pathlib import Path

DATABASE_NAME = "ektp"


def embedded_database_url(var_dir: Path) -> str:
    """Start (or reuse) the embedded server under ``var_dir`` and return its URL."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # platformdirs: XDG_RUNTIME_DIR unset
        import pgserver

    var_dir.mkdir(parents=True, exist_ok=True)
    pgdata = var_dir / "pgdata"
    # Several processes (runserver's reloader, pytest, manage.py) may start at once.
    with open(var_dir / "pgserver.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            server = pgserver.get_server(pgdata, cleanup_mode=None)
        exists = server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{DATABASE_NAME}';")  # noqa: S608 - a constant
        if "(1 row)" not in exists:
            server.psql(f"CREATE DATABASE {DATABASE_NAME};")
    return server.get_uri(DATABASE_NAME)

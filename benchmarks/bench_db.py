"""A throw-away PostgreSQL database for a benchmark, made next to DATABASE_URL's (which is never touched)."""

from __future__ import annotations

import sys
from urllib.parse import urlsplit, urlunsplit


def throwaway_database(url: str, name: str, *, script: str, drop_only: bool = False) -> str:
    """Drop the database ``name`` on DATABASE_URL's server (closing its sessions), create it again unless
    ``drop_only``, and return its URL. ``script`` names the caller in the message when the URL is not PostgreSQL."""
    import psycopg

    parts = urlsplit(url)
    if not parts.scheme.startswith("postgres"):
        sys.exit(f"benchmarks/{script} needs PostgreSQL: set DATABASE_URL=postgres://user@host:port/db")
    with psycopg.connect(
        host=parts.hostname or "127.0.0.1",
        port=parts.port or 5432,
        user=parts.username or None,
        password=parts.password or None,
        dbname="postgres",
        autocommit=True,
    ) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        if not drop_only:
            admin.execute(f"CREATE DATABASE {name}")
    return urlunsplit(parts._replace(path=f"/{name}"))

"""One migrated database per test run, copied into each xdist worker's test database.

Migrating an empty database takes most of a minute of CPU here (some 240 migrations, most of the
time spent rendering model states), and pytest-django does it once per xdist worker: four times in
`make test`, on a two-core machine. Instead the controller process migrates one *template* before
the workers start and each worker copies it:

- PostgreSQL: ``CREATE DATABASE test_…_gwN TEMPLATE test_…_template`` (a file copy inside the server);
- SQLite: the template is a file; each worker's in-memory test database is filled from it with
  SQLite's online backup.

The template is made by ``manage.py migrate --run-syncdb`` and ``createcachetable`` with the test
settings, i.e. what Django's own ``create_test_db`` does, and is thrown away at the end of the run,
so it can never be stale. It is used only when the run has at least two xdist workers (with one
there is nothing to share); ``ANJU_TEST_DB_TEMPLATE=0`` turns it off.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse

import pytest

WORKER_KEY = "anju_db_template"


def wanted(config) -> bool:
    if os.environ.get("ANJU_TEST_DB_TEMPLATE", "1") in ("0", "false", "no"):
        return False
    if hasattr(config, "workerinput"):
        return False
    workers = getattr(config.option, "numprocesses", None) or 0
    return isinstance(workers, int) and workers >= 2 and not config.option.collectonly


class DatabaseTemplate:
    """Controller side: makes the template before the workers start, hands its name to each worker,
    drops it at the end."""

    def __init__(self):
        self.template: dict | None = None
        self.tmpdir: str | None = None

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionstart(self, session):
        from django.conf import settings

        db = settings.DATABASES["default"]
        started = time.monotonic()
        if db["ENGINE"] == "django.db.backends.postgresql":
            self.template = make_postgres_template(db)
        elif db["ENGINE"] == "django.db.backends.sqlite3":
            self.tmpdir = tempfile.mkdtemp(prefix="anju-test-db-")
            self.template = make_sqlite_template(os.path.join(self.tmpdir, "template.sqlite3"))
        else:
            return
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            reporter.write_line(
                f"migrated the test database template {self.template['name']} once "
                f"in {time.monotonic() - started:.1f} s; every worker copies it"
            )

    def pytest_configure_node(self, node):
        if self.template is not None:
            node.workerinput[WORKER_KEY] = self.template

    def pytest_unconfigure(self, config):
        if self.template and self.template["vendor"] == "postgresql":
            drop_postgres_database(self.template)
        if self.tmpdir:
            shutil.rmtree(self.tmpdir, ignore_errors=True)


#: What Django's create_test_db runs on a new test database, in one child process.
MIGRATE = (
    "import django; django.setup(); from django.core.management import call_command; "
    "call_command('migrate', run_syncdb=True, interactive=False, verbosity=0); call_command('createcachetable')"
)


def migrate(database_url: str) -> None:
    """`migrate` and `createcachetable` in a child process, with the test settings, on database_url."""
    env = {**os.environ, "DATABASE_URL": database_url, "DJANGO_SETTINGS_MODULE": "config.settings.test"}
    done = subprocess.run([sys.executable, "-c", MIGRATE], env=env, capture_output=True, text=True, check=False)
    if done.returncode:
        raise pytest.UsageError(f"could not make the test database template:\n{done.stderr}")


def postgres_url(db: dict, name: str) -> str:
    user = urllib.parse.quote(db.get("USER") or "")
    password = db.get("PASSWORD") or ""
    auth = f"{user}:{urllib.parse.quote(password)}@" if password else (f"{user}@" if user else "")
    return f"postgres://{auth}{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}/{name}"


def admin_connection(template: dict):
    import psycopg

    return psycopg.connect(template["url"].rsplit("/", 1)[0] + "/postgres", autocommit=True)


def make_postgres_template(db: dict) -> dict:
    name = f"{db.get('TEST', {}).get('NAME') or 'test_' + db['NAME']}_template"
    template = {"vendor": "postgresql", "name": name, "url": postgres_url(db, name)}
    drop_postgres_database(template)
    with admin_connection(template) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    migrate(template["url"])
    return template


def drop_postgres_database(template: dict) -> None:
    with admin_connection(template) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{template["name"]}" WITH (FORCE)')


def make_sqlite_template(path: str) -> dict:
    migrate(f"sqlite:///{path}")
    return {"vendor": "sqlite", "name": path}


def use_template_in_worker(template: dict) -> None:
    """Worker side: Django's create_test_db copies the template instead of migrating."""
    from django.conf import settings
    from django.db.backends.base.creation import BaseDatabaseCreation

    original = BaseDatabaseCreation.create_test_db

    def create_test_db(self, verbosity=1, autoclobber=False, serialize=True, keepdb=False):
        connection = self.connection
        if connection.alias != "default" or connection.vendor != template["vendor"] or keepdb:
            return original(self, verbosity, autoclobber, serialize, keepdb)
        name = self._get_test_db_name()
        connection.close()
        if template["vendor"] == "postgresql":
            copy_postgres_template(template, name)
        settings.DATABASES[connection.alias]["NAME"] = name
        connection.settings_dict["NAME"] = name
        connection.ensure_connection()
        if template["vendor"] == "sqlite":
            import sqlite3

            source = sqlite3.connect(f"file:{template['name']}?mode=ro", uri=True)
            try:
                source.backup(connection.connection)
            finally:
                source.close()
        if serialize:
            connection._test_serialized_contents = self.serialize_db_to_string()
        return name

    BaseDatabaseCreation.create_test_db = create_test_db


def copy_postgres_template(template: dict, name: str) -> None:
    import psycopg

    with admin_connection(template) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        for attempt in range(20):
            try:
                conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template["name"]}"')
                return
            except psycopg.errors.ObjectInUse:  # another worker is copying it this very moment
                time.sleep(0.2 * (attempt + 1))
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template["name"]}"')

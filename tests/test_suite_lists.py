"""The lists in tests/conftest.py that mark tests `one_pass` and `slow` name tests that exist: a test
renamed or moved must not silently run twice (or stop counting as slow)."""

import re
from pathlib import Path

import pytest

from tests.conftest import ONE_PASS, ONE_PASS_IN_SQLITE, SLOW

BASE_DIR = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("entry", [*ONE_PASS, *SLOW])
def test_every_listed_test_exists(entry):
    path, _, name = entry.partition("::")
    target = BASE_DIR / path
    if path.endswith("/"):
        assert target.is_dir(), f"{entry}: no such folder"
        return
    assert target.is_file(), f"{entry}: no such file"
    name, _, case = name.partition("[")
    if case:  # one case of a parametrised test: its parameter is written in the file
        assert case.rstrip("]") in target.read_text(), f"{entry}: no such case"
    if name:
        assert re.search(rf"^\s*def {re.escape(name)}\(", target.read_text(), re.M), f"{entry}: no such test"


@pytest.mark.parametrize("entry", ONE_PASS_IN_SQLITE)
def test_the_tests_moved_to_the_sqlite_pass_are_one_pass_tests(entry):
    """A test moved to the SQLite pass but not `one_pass` would run in both passes, or in neither."""
    path = entry.partition("::")[0]
    covered = entry in ONE_PASS or path in ONE_PASS or any(e.endswith("/") and path.startswith(e) for e in ONE_PASS)
    assert covered, f"{entry}: add it to ONE_PASS too"

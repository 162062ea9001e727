"""The developer commands: `make lint` passes on the tree, and CI (`.ci/run`) runs it."""

import os
import shutil
import subprocess
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parents[1]


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_lint_passes_on_the_tree():
    """`make lint` (ruff check + ruff format --check) passes, as README and the Makefile promise."""
    result = subprocess.run(["make", "--no-print-directory", "lint"], cwd=BASE_DIR, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]


def run_ci_with_fake_make(tmp_path, *, test_status: int, lint_status: int) -> tuple[subprocess.CompletedProcess, list[str]]:
    """Run .ci/run with a `make` on PATH that records its targets and exits as told."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    log = tmp_path / "make.log"
    fake_make = bin_dir / "make"
    fake_make.write_text(
        "#!/bin/sh\n"
        f'echo "$*" >> "{log}"\n'
        'case "$*" in\n'
        f"  *lint*) exit {lint_status} ;;\n"
        f"  *test*) exit {test_status} ;;\n"
        "esac\n"
        "exit 0\n"
    )
    fake_make.chmod(0o755)
    result = subprocess.run(
        [str(BASE_DIR / ".ci" / "run")],
        cwd=tmp_path,
        env={**os.environ, "PATH": f"{bin_dir}:{os.environ.get('PATH', '/usr/bin:/bin')}"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    targets = log.read_text().split() if log.exists() else []
    return result, targets


def test_ci_runs_make_lint_as_well_as_make_test(tmp_path):
    result, targets = run_ci_with_fake_make(tmp_path, test_status=0, lint_status=0)
    assert result.returncode == 0, result.stderr
    assert "test" in targets
    assert "lint" in targets


def test_ci_fails_when_lint_fails_even_if_the_tests_pass(tmp_path):
    result, targets = run_ci_with_fake_make(tmp_path, test_status=0, lint_status=2)
    assert "lint" in targets
    assert result.returncode != 0


def test_ci_still_fails_when_the_tests_fail_and_lint_passes(tmp_path):
    result, targets = run_ci_with_fake_make(tmp_path, test_status=2, lint_status=0)
    assert result.returncode != 0

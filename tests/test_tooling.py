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


# --- `make run` (scripts/run-dev.sh) and the fake Stripe -------------------------------------------


def run_dev_with_stub_python(tmp_path, **env) -> dict[str, dict[str, str]]:
    """Run scripts/run-dev.sh with a stand-in interpreter that records each manage.py command it is
    asked to run, with the Stripe settings of its environment, instead of running it."""
    log = tmp_path / "calls.log"
    stub = tmp_path / "python"
    stub.write_text(
        "#!/bin/sh\n"
        "args=$(printf '%s' \"$*\" | tr '\\n|' '  ')\n"
        f'printf "%s|%s|%s|%s|%s\\n" "$args" "$STRIPE_SECRET_KEY" "$STRIPE_API_BASE" "$STRIPE_WEBHOOK_SECRET" "$SITE_URL" >> "{log}"\n'
        'case "$*" in *qcluster*|*runserver*|*fake_stripe*) sleep 1 ;; esac\n'
        "exit 0\n"
    )
    stub.chmod(0o755)
    clean = {k: v for k, v in os.environ.items() if not k.startswith("STRIPE_") and k not in ("SITE_URL", "PORT")}
    result = subprocess.run(
        [str(BASE_DIR / "scripts" / "run-dev.sh")],
        cwd=BASE_DIR,
        env={**clean, "ANJU_DEV_PYTHON": str(stub), "PORT": "8765", "FAKE_STRIPE_PORT": "12999", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    calls = {}
    for line in log.read_text().splitlines():
        args, key, api_base, secret, site_url = line.split("|")
        command = args.split()[1] if len(args.split()) > 1 else args
        calls[command] = {"args": args, "key": key, "api_base": api_base, "secret": secret, "site_url": site_url}
    calls["_stdout"] = {"text": result.stdout}
    return calls


def test_make_run_without_a_stripe_key_starts_the_fake_stripe_and_points_the_app_at_it(tmp_path):
    from billing.fake_stripe import API_KEY, WEBHOOK_SECRET

    calls = run_dev_with_stub_python(tmp_path)
    assert calls["fake_stripe"]["args"] == (
        "manage.py fake_stripe --port 12999 --webhook-url http://127.0.0.1:8765/billing/stripe/webhook/"
    )
    for command in ("runserver", "qcluster"):
        assert calls[command]["key"] == API_KEY
        assert calls[command]["api_base"] == "http://127.0.0.1:12999"
        assert calls[command]["secret"] == WEBHOOK_SECRET
        assert calls[command]["site_url"] == "http://127.0.0.1:8765"
    assert "TEST MODE" in calls["_stdout"]["text"]


def test_make_run_with_a_real_stripe_key_does_not_start_the_fake(tmp_path):
    calls = run_dev_with_stub_python(tmp_path, STRIPE_SECRET_KEY="sk_live_from_the_operator", STRIPE_WEBHOOK_SECRET="whsec_x")
    assert "fake_stripe" not in calls
    assert calls["runserver"]["key"] == "sk_live_from_the_operator"
    assert calls["runserver"]["api_base"] == ""  # the settings' default: the real api.stripe.com
    assert "TEST MODE" not in calls["_stdout"]["text"]

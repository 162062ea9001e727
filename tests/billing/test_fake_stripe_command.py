"""`manage.py fake_stripe`: the local fake Stripe that `make run` starts without a Stripe key.

It serves the API and a Checkout page marked as test mode; production never uses it (the command
refuses and production settings refuse its values). The whole journey through `make run` is in
tests/e2e/test_make_run_payment.py; the wiring of run-dev.sh in tests/test_tooling.py.
"""

import json
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def manage(*args, env: dict[str, str], timeout: int = 60) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "PYTHONDONTWRITEBYTECODE": "1", **env},
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def production_env(tmp_path, **overrides) -> dict[str, str]:
    env = {
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "SECRET_KEY": secrets.token_urlsafe(64),
        "ALLOWED_HOSTS": "anju.example.org",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'prod.sqlite3'}",
    }
    env.update(overrides)
    return env


def test_the_fake_serves_a_checkout_page_marked_as_test_mode(tmp_path):
    """Started as run-dev.sh starts it; a session made through its API shows the test-mode banner."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "manage.py", "fake_stripe", "--port", str(port), "--webhook-url", "http://127.0.0.1:9/hook/"],
        cwd=BASE_DIR,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.dev", "DATABASE_URL": f"sqlite:///{tmp_path / 'd.db'}"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 90  # a Django start-up on a busy machine
        while True:
            assert process.poll() is None, process.communicate()
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    break
            except OSError:
                assert time.monotonic() < deadline, "the fake Stripe did not start"
                time.sleep(0.2)
        request = urllib.request.Request(
            f"{base}/v1/checkout/sessions",
            data=b"mode=payment&currency=cny&success_url=http%3A%2F%2F127.0.0.1%2Fok&line_items[0][quantity]=1"
            b"&line_items[0][price_data][currency]=cny&line_items[0][price_data][unit_amount]=12050"
            b"&line_items[0][price_data][product_data][name]=PF",
            headers={"Authorization": "Bearer sk_test_anju_fake"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - loopback
            session = json.loads(response.read())
        assert session["url"].startswith(f"{base}/pay/cs_")
        with urllib.request.urlopen(session["url"], timeout=10) as response:  # noqa: S310 - loopback
            page = response.read().decode()
        assert "TEST MODE" in page and "测试模式" in page
        assert "CNY 120.50" in page
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_the_fake_is_refused_under_production_settings(tmp_path):
    result = manage("fake_stripe", "--port", str(free_port()), env=production_env(tmp_path))
    assert result.returncode != 0
    assert "FAKE_STRIPE_ALLOWED" in result.stderr


@pytest.mark.parametrize(
    "overrides",
    [
        {"STRIPE_SECRET_KEY": "sk_test_anju_fake", "STRIPE_API_BASE": "https://api.stripe.com"},
        {"STRIPE_SECRET_KEY": "sk_live_real", "STRIPE_WEBHOOK_SECRET": "whsec_anju_test_secret"},
        {"STRIPE_SECRET_KEY": "sk_live_real", "STRIPE_API_BASE": "http://127.0.0.1:12111"},
    ],
    ids=["fake-key", "fake-webhook-secret", "loopback-api-base"],
)
def test_production_settings_refuse_the_fake_stripe(tmp_path, overrides):
    result = manage("check", env=production_env(tmp_path, **overrides))
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr

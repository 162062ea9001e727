"""Health check, production settings, the shared cache, and logging in by mobile number."""

import os
import secrets
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from accounts.models import Role

BASE_DIR = Path(__file__).resolve().parents[2]


def run_python(code: str, *, env: dict[str, str], timeout: int = 60) -> subprocess.CompletedProcess:
    """Run Python in a fresh interpreter with exactly the given environment (plus PATH)."""
    return subprocess.run(
        [sys.executable, "-c", code],
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
    return {k: v for k, v in env.items() if v is not None}


# --- /healthz -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_healthz_answers_200_when_the_database_answers(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]


def test_healthz_answers_503_when_the_database_is_unreachable():
    # A real unreachable server (nothing listens on port 9), not a mock: the load balancer must
    # see 503, and the page must not crash with a 500.
    result = run_python(
        "import django; django.setup()\n"
        "from django.test import Client\n"
        "r = Client().get('/healthz')\n"
        "print(r.status_code, r.content.decode())\n",
        env={
            "DJANGO_SETTINGS_MODULE": "config.settings.test",
            "DATABASE_URL": "postgres://anju:x@127.0.0.1:9/anju?connect_timeout=3",
        },
    )
    assert result.returncode == 0, result.stderr
    status, _, body = result.stdout.strip().partition(" ")
    assert status == "503"
    assert '"database": "unreachable"' in body


# --- production settings --------------------------------------------------------------------


@pytest.mark.parametrize("missing", ["SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL"])
def test_production_settings_refuse_to_start_without_a_required_variable(tmp_path, missing):
    result = run_python("import django; django.setup()", env=production_env(tmp_path, **{missing: None}))
    assert result.returncode != 0
    assert f"{missing} must be set in the environment for production" in result.stderr


def test_production_settings_pass_the_deployment_checklist_without_warnings(tmp_path):
    env = production_env(tmp_path)
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy"],
        cwd=BASE_DIR,
        env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "PYTHONDONTWRITEBYTECODE": "1", **env},
        capture_output=True,
        text=True,
        timeout=120,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "System check identified no issues" in output, output


def test_production_settings_turn_off_debug_and_demo_data(tmp_path):
    result = run_python(
        "import django; django.setup()\nfrom django.conf import settings\nprint(settings.DEBUG, settings.DEMO_DATA_ALLOWED)",
        env=production_env(tmp_path, DEBUG="true"),
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "False"]


# --- shared cache across web hosts ------------------------------------------------------------


def test_task_timeout_and_retry_come_from_the_environment_and_the_timeout_must_stay_below_the_retry(tmp_path):
    """A killed worker's task comes back Q_RETRY seconds after it was taken (tests/ops/test_several_hosts.py sets it
    small); a timeout not below the retry would let a slow task run twice at once, so it is refused."""
    code = (
        "import django; django.setup(); from django.conf import settings; q = settings.Q_CLUSTER; print(q['timeout'], q['retry'])"
    )
    env = {"DJANGO_SETTINGS_MODULE": "config.settings.base", "DATABASE_URL": f"sqlite:///{tmp_path / 'q.sqlite3'}"}
    assert run_python(code, env=env).stdout.split()[-2:] == ["600", "900"]
    assert run_python(code, env={**env, "Q_TIMEOUT": "10", "Q_RETRY": "14"}).stdout.split()[-2:] == ["10", "14"]
    refused = run_python(code, env={**env, "Q_TIMEOUT": "900", "Q_RETRY": "600"})
    assert refused.returncode != 0 and "Q_TIMEOUT (900) must be positive and less than Q_RETRY (600)" in refused.stderr


def test_web_hosts_with_the_same_redis_url_share_one_cache(redis_url):
    """Two processes (two "hosts") configured with REDIS_URL see each other's cache entries."""
    key, value = f"anju-test-{uuid.uuid4().hex}", uuid.uuid4().hex
    env = {"DJANGO_SETTINGS_MODULE": "config.settings.dev", "REDIS_URL": redis_url}
    write = run_python(
        f"import django; django.setup()\nfrom django.core.cache import cache\ncache.set({key!r}, {value!r}, 60)",
        env=env,
    )
    assert write.returncode == 0, write.stderr
    read = run_python(
        f"import django; django.setup()\nfrom django.core.cache import cache\nprint(cache.get({key!r}))\ncache.delete({key!r})",
        env=env,
    )
    assert read.returncode == 0, read.stderr
    assert read.stdout.strip() == value


# --- logging in -----------------------------------------------------------------------------


@pytest.fixture
def staff_member(make_user):
    return make_user("13900000009", Role.PLATFORM_ADMIN, name="王平")


def post_login(client, mobile, password):
    return client.post("/admin/login/", {"username": mobile, "password": password})


@pytest.mark.django_db
def test_staff_log_in_with_their_mobile_number(client, staff_member):
    response = post_login(client, "139 0000 0009", "anju-test-2026")  # typed with spaces
    assert response.status_code == 302
    assert response["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


@pytest.mark.django_db
def test_wrong_password_shows_the_form_again(client, staff_member):
    response = post_login(client, "13900000009", "not-the-password")
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    assert 'name="username"' in response.content.decode()


@pytest.mark.django_db
def test_four_failures_do_not_lock_a_staff_member_out(client, staff_member):
    for _ in range(4):
        post_login(client, "13900000009", "not-the-password")
    response = post_login(client, "13900000009", "anju-test-2026")
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(staff_member.pk)


@pytest.mark.django_db
def test_five_failures_lock_the_mobile_number_out_even_with_the_right_password(client, staff_member, make_user):
    for _ in range(5):
        post_login(client, "13900000009", "not-the-password")
    response = post_login(client, "13900000009", "anju-test-2026")
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session

    # Another person logging in from the same address is not affected.
    colleague = make_user("13900000008", Role.PLATFORM_ADMIN)
    response = post_login(client, "13900000008", "anju-test-2026")
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(colleague.pk)


@pytest.mark.django_db
def test_typing_the_number_differently_does_not_get_round_the_lock(client, staff_member):
    for typed in ("+86 139 0000 0009", "139-0000-0009", "13900000009 ", "0086 13900000009", "139 0000 0009"):
        post_login(client, typed, "not-the-password")
    response = post_login(client, "13900000009", "anju-test-2026")
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


# --- one lock per mobile number, a separate limit per address ---------------------------------

ADDRESS_A, ADDRESS_B, ADDRESS_C = "203.0.113.10", "198.51.100.20", "192.0.2.30"
PASSWORD = "anju-test-2026"


def login_from(client, url, address, mobile, password, **headers):
    return client.post(url, {"username": mobile, "password": password}, REMOTE_ADDR=address, **headers)


@pytest.fixture
def owner_login(make_user):
    return make_user("13800000077", name="刘芳")


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/accounts/login/", "/admin/login/"], ids=["portal", "back-office"])
def test_five_failures_from_one_address_lock_the_number_from_every_address(client, staff_member, owner_login, make_user, url):
    """README: five wrong passwords lock a mobile number for an hour, wherever the guesses come from.

    Before, the lock was per (number, address): each further address got five more guesses.
    """
    person = staff_member if url == "/admin/login/" else owner_login
    typed = [
        "+86 " + person.mobile,
        person.mobile[:3] + " " + person.mobile[3:],
        person.mobile,
        "0086" + person.mobile,
        person.mobile,
    ]
    for spelling in typed:  # however the number is typed, it is one lock
        login_from(client, url, ADDRESS_A, spelling, "not-the-password")
    response = login_from(client, url, ADDRESS_B, person.mobile, PASSWORD)
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session
    assert "锁定" in response.content.decode() or "locked" in response.content.decode()

    # The lock is on the number, not on address B: someone else logs in from B.
    other = make_user("13900000008", Role.PLATFORM_ADMIN)
    response = login_from(client, url, ADDRESS_B, other.mobile, PASSWORD)
    assert response.status_code == 302 and client.session["_auth_user_id"] == str(other.pk)


@pytest.mark.django_db
def test_four_failures_from_each_of_two_addresses_lock_the_number(client, owner_login):
    for address in (ADDRESS_A, ADDRESS_B):
        for _ in range(3 if address == ADDRESS_A else 2):
            login_from(client, "/accounts/login/", address, owner_login.mobile, "not-the-password")
    response = login_from(client, "/accounts/login/", ADDRESS_C, owner_login.mobile, PASSWORD)
    assert response.status_code == 429 and "_auth_user_id" not in client.session


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/accounts/login/", "/admin/login/"], ids=["portal", "back-office"])
def test_an_address_guessing_many_numbers_is_locked_but_other_addresses_are_not(client, settings, staff_member, owner_login, url):
    """One address spreading its guesses over many numbers (a few each) hits the per-address limit."""
    settings.LOGIN_FAILURE_LIMIT_PER_ADDRESS = 8
    person = staff_member if url == "/admin/login/" else owner_login
    for n in range(4):
        for _ in range(2):  # two guesses each: no number comes near its own limit of five
            login_from(client, url, ADDRESS_A, f"1370000{n:04d}", "not-the-password")
    response = login_from(client, url, ADDRESS_A, person.mobile, PASSWORD)
    assert response.status_code == 429 and "_auth_user_id" not in client.session
    response = login_from(client, url, ADDRESS_B, person.mobile, PASSWORD)
    assert response.status_code == 302 and client.session["_auth_user_id"] == str(person.pk)


@pytest.mark.django_db
def test_logging_in_to_ones_own_account_does_not_reset_the_guesses_at_another_number(client, staff_member, owner_login):
    for _ in range(4):
        login_from(client, "/accounts/login/", ADDRESS_A, staff_member.mobile, "not-the-password")
    assert login_from(client, "/accounts/login/", ADDRESS_A, owner_login.mobile, PASSWORD).status_code == 302
    client.logout()
    login_from(client, "/accounts/login/", ADDRESS_A, staff_member.mobile, "not-the-password")
    response = login_from(client, "/admin/login/", ADDRESS_B, staff_member.mobile, PASSWORD)
    assert response.status_code == 429


@pytest.mark.django_db
def test_behind_a_proxy_the_forwarded_address_counts(client, settings, owner_login):
    """With TRUSTED_PROXY_COUNT=1 the address is the proxy's last X-Forwarded-For entry, not the proxy's own."""
    settings.TRUSTED_PROXY_COUNT = 1
    settings.LOGIN_FAILURE_LIMIT_PER_ADDRESS = 3
    proxy = "10.0.0.1"
    for n in range(3):
        login_from(client, "/accounts/login/", proxy, f"1370000{n:04d}", "x", HTTP_X_FORWARDED_FOR=f"1.2.3.{n}, {ADDRESS_A}")
    blocked = login_from(client, "/accounts/login/", proxy, owner_login.mobile, PASSWORD, HTTP_X_FORWARDED_FOR=ADDRESS_A)
    assert blocked.status_code == 429
    allowed = login_from(client, "/accounts/login/", proxy, owner_login.mobile, PASSWORD, HTTP_X_FORWARDED_FOR=ADDRESS_B)
    assert allowed.status_code == 302

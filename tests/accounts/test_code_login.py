"""Logging in by a one-time code (issue 15: a tenant whose account was made at signing has no password). Only an
existing, active account gets a code; the sending is rate-limited; the page reads the same for any number."""

import re

import pytest
from django.urls import reverse

from accounts.models import OneTimeCode, Role
from accounts.sms import ConsoleSmsBackend

pytestmark = pytest.mark.django_db

URL = "/accounts/login/code/"


@pytest.fixture(autouse=True)
def outbox():
    ConsoleSmsBackend.sent.clear()
    return ConsoleSmsBackend.sent


@pytest.fixture
def tenant(make_user):
    user = make_user("13700000001", Role.TENANT)
    user.set_unusable_password()
    user.save()
    return user


def test_the_login_page_links_to_the_code_login(client):
    assert reverse("accounts:login_code") == URL
    assert f'href="{URL}' in client.get(reverse("accounts:login")).content.decode()


def test_a_tenant_without_a_password_logs_in_with_a_code(client, tenant, outbox):
    response = client.post(URL, {"mobile": "137 0000 0001", "action": "send_code"})
    assert response.status_code == 200 and len(outbox) == 1
    phone, message = outbox[-1]
    code = re.search(r"\b(\d{6})\b", message).group(1)
    assert phone == "13700000001"
    response = client.post(URL, {"mobile": "13700000001", "code": code, "action": "login", "next": "/portal/rentals/leases/"})
    assert response.status_code == 302 and response["Location"] == "/portal/rentals/leases/"
    assert client.get("/portal/").status_code == 200
    client.logout()
    # The code is spent: a second use is refused.
    response = client.post(URL, {"mobile": "13700000001", "code": code, "action": "login"})
    assert response.status_code == 400 and client.get("/portal/").status_code == 302


def test_an_unknown_or_inactive_number_gets_no_code_and_the_same_page(client, tenant, make_user, outbox):
    inactive = make_user("13700000002")
    inactive.is_active = False
    inactive.save()
    known = client.post(URL, {"mobile": "13700000001", "action": "send_code"}).content.decode()
    for number in ("13700000003", "13700000002"):
        page = client.post(URL, {"mobile": number, "action": "send_code"}).content.decode()
        assert page.replace(number, "13700000001") == known.replace(
            re.search(r'csrfmiddlewaretoken" value="[^"]+', known).group(0),
            re.search(r'csrfmiddlewaretoken" value="[^"]+', page).group(0),
        )
        refused = client.post(URL, {"mobile": number, "code": "123456", "action": "login"})
        assert refused.status_code == 400
    assert [phone for phone, _ in outbox] == ["13700000001"]
    assert not OneTimeCode.objects.filter(mobile__in=["13700000002", "13700000003"]).exists()


def test_a_wrong_code_is_refused_and_sending_is_rate_limited(client, tenant, outbox):
    client.post(URL, {"mobile": "13700000001", "action": "send_code"})
    response = client.post(
        URL, {"mobile": "13700000001", "code": "000000" if "000000" not in outbox[-1][1] else "111111", "action": "login"}
    )
    assert response.status_code == 400 and "验证码不正确或已失效" in response.content.decode()
    assert client.get("/portal/").status_code == 302
    again = client.post(URL, {"mobile": "13700000001", "action": "send_code"})
    assert again.status_code == 400 and len(outbox) == 1  # a second code within a minute is refused
    assert client.post(URL, {"mobile": "123", "action": "send_code"}).status_code == 400

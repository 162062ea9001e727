"""One-time codes by SMS (issue 15: an applicant confirms a mobile number without an account; PIPL Art. 51: the
code is never stored in clear). Limits per number and per network; an expired, spent or used code is refused."""

import datetime
import re

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts.models import OneTimeCode
from accounts.one_time_codes import code_send, code_verify
from accounts.sms import ConsoleSmsBackend

pytestmark = pytest.mark.django_db

NUMBER = "13712345678"


@pytest.fixture(autouse=True)
def outbox():
    ConsoleSmsBackend.sent.clear()
    return ConsoleSmsBackend.sent


def sent_code(outbox) -> str:
    phone, message = outbox[-1]
    assert phone == NUMBER and "验证码" in message
    return re.search(r"\b(\d{6})\b", message).group(1)


def code_of(error) -> str:
    return error.value.error_dict["code"][0].code if hasattr(error.value, "error_dict") else error.value.code


def test_a_code_is_sent_by_sms_kept_only_as_a_hash_and_accepted_once(outbox):
    row = code_send(mobile="137 1234 5678", purpose="rental_application", address="10.0.0.1")
    code = sent_code(outbox)

    assert code not in row.code_hash and len(row.code_hash) == 64
    code_verify(mobile=NUMBER, purpose="rental_application", code=code)
    with pytest.raises(ValidationError) as again:
        code_verify(mobile=NUMBER, purpose="rental_application", code=code)
    assert code_of(again) == "no_code"  # used: gone
    row.refresh_from_db()
    assert row.used_at is not None


def test_a_code_is_for_its_number_and_purpose_only(outbox):
    code_send(mobile=NUMBER, purpose="rental_application")
    code = sent_code(outbox)
    with pytest.raises(ValidationError) as other_purpose:
        code_verify(mobile=NUMBER, purpose="something_else", code=code)
    with pytest.raises(ValidationError) as other_number:
        code_verify(mobile="13712345679", purpose="rental_application", code=code)
    assert code_of(other_purpose) == "no_code" and code_of(other_number) == "no_code"


def test_an_expired_code_is_refused(outbox):
    sent_at = timezone.now() - datetime.timedelta(minutes=11)
    code_send(mobile=NUMBER, purpose="rental_application", now=sent_at)
    with pytest.raises(ValidationError) as expired:
        code_verify(mobile=NUMBER, purpose="rental_application", code=sent_code(outbox))
    assert code_of(expired) == "expired" and "过期" in str(expired.value)


def test_wrong_tries_are_counted_and_spend_the_code(outbox):
    code_send(mobile=NUMBER, purpose="rental_application")
    code = sent_code(outbox)
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(5):
        with pytest.raises(ValidationError) as error:
            code_verify(mobile=NUMBER, purpose="rental_application", code=wrong)
        assert code_of(error) == "wrong"
    with pytest.raises(ValidationError) as spent:
        code_verify(mobile=NUMBER, purpose="rental_application", code=code)  # even the right one now
    assert code_of(spent) == "spent" and OneTimeCode.objects.get().tries == 5


def test_sending_is_limited_per_number_and_per_network(outbox, settings):
    start = timezone.now() - datetime.timedelta(minutes=50)
    code_send(mobile=NUMBER, purpose="rental_application", now=start)
    with pytest.raises(ValidationError) as too_soon:
        code_send(mobile=NUMBER, purpose="rental_application", now=start + datetime.timedelta(seconds=30))
    for minute in range(1, 5):
        code_send(mobile=NUMBER, purpose="rental_application", now=start + datetime.timedelta(minutes=minute * 2))
    with pytest.raises(ValidationError) as number_limit:
        code_send(mobile=NUMBER, purpose="rental_application", now=start + datetime.timedelta(minutes=20))
    assert code_of(too_soon) == "too_soon" and code_of(number_limit) == "number_limit" and len(outbox) == 5

    settings.ANJU_OTP_PER_ADDRESS_HOUR = 3
    for n in range(3):
        code_send(mobile=f"1390000{n:04d}", purpose="rental_application", address="10.0.0.9")
    with pytest.raises(ValidationError) as address_limit:
        code_send(mobile="13900009999", purpose="rental_application", address="10.0.0.9")
    assert code_of(address_limit) == "address_limit" and not OneTimeCode.objects.filter(mobile="13900009999").exists()


def test_a_number_that_is_not_a_mainland_mobile_is_refused_and_nothing_is_sent(outbox):
    with pytest.raises(ValidationError):
        code_send(mobile="12345", purpose="rental_application")
    assert outbox == [] and not OneTimeCode.objects.exists()

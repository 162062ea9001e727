"""Login throttling: a lock per mobile number, and a separate, higher limit per address.

django-axes counts every failed log-in (``AccessAttempt`` rows keyed by number, address and
browser). ``AXES_LOCKOUT_PARAMETERS = ["username"]`` locks the *normalised* mobile number
(``accounts.validators.axes_username``) after ``AXES_FAILURE_LIMIT`` failures, whatever address
they came from: a guesser who changes address gets no further guesses at that number. Counting
per (number, address), as before, gave five more guesses for each extra address.

Axes has one limit for all its parameters, so the per-address limit
(``LOGIN_FAILURE_LIMIT_PER_ADDRESS``, much higher: an office or a mobile carrier's NAT puts many
people behind one address) is added here: once an address has that many failures, over any
numbers, within the cool-off time, every log-in from it is refused as if locked. A successful
log-in clears only its own number's failures (axes resets by the lockout parameters), so an
attacker cannot wipe an address's count by logging in to an account of their own.
"""

from axes.attempts import get_cool_off_threshold
from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_failure_limit
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Sum


class NumberLockHandler(AxesDatabaseHandler):
    """Axes' database handler, plus the per-address limit."""

    def get_failures(self, request, credentials: dict | None = None) -> int:
        by_number = super().get_failures(request, credentials)
        address = getattr(request, "axes_ip_address", None)
        if not address:
            return by_number
        by_address = (
            AccessAttempt.objects.filter(ip_address=address, attempt_time__gte=get_cool_off_threshold(request)).aggregate(
                total=Sum("failures_since_start")
            )["total"]
            or 0
        )
        if by_address >= settings.LOGIN_FAILURE_LIMIT_PER_ADDRESS:
            return max(by_number, get_failure_limit(request, credentials))
        return by_number


def client_address(request) -> str | None:
    """The address a log-in came from (``AXES_CLIENT_IP_CALLABLE``).

    Behind ``TRUSTED_PROXY_COUNT`` reverse proxies, each appending the address it received from
    to X-Forwarded-For, the client's address is that many entries from the right; entries further
    left are whatever the client sent and cannot be trusted. Without proxies it is REMOTE_ADDR.
    Behind a proxy left unconfigured every log-in would seem to come from the proxy, and the
    per-address limit would lock everyone out together.
    """
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies > 0:
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
        if len(forwarded) >= proxies:
            return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR")

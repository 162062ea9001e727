"""Production: every secret comes from the environment, and starting without one fails."""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import env

for _name in ("SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL"):
    if not env.str(_name, default=""):
        raise ImproperlyConfigured(f"{_name} must be set in the environment for production.")

DEBUG = False
SECRET_KEY = env.str("SECRET_KEY")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS")
DATABASES = {"default": env.db_url("DATABASE_URL")}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DEMO_DATA_ALLOWED = False

# The local fake Stripe (billing/fake_stripe.py, started by `make run` without a key) never runs
# here and is never talked to: its command refuses, and so do these settings.
FAKE_STRIPE_ALLOWED = False
if STRIPE_SECRET_KEY.startswith("sk_test_anju_fake") or STRIPE_WEBHOOK_SECRET.startswith("whsec_anju_test"):  # noqa: F405
    raise ImproperlyConfigured("STRIPE_SECRET_KEY / STRIPE_WEBHOOK_SECRET are the local fake Stripe's test values.")
if not STRIPE_API_BASE.startswith("https://"):  # noqa: F405
    raise ImproperlyConfigured(f"STRIPE_API_BASE must be an https URL in production, not {STRIPE_API_BASE!r} (the local fake?).")  # noqa: F405

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.smtp.EmailBackend")

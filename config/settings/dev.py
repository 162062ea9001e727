from .base import *  # noqa: F403

DEBUG = env.bool("DEBUG", default=True)  # noqa: F405
EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
# `make run` starts the local fake Stripe (test mode) when no STRIPE_SECRET_KEY is set: billing/fake_stripe.py.
FAKE_STRIPE_ALLOWED = True
# Branded 404 and 500 pages in `make run` too (DEBUG is on there so that uploaded media are served);
# DEBUG_ERROR_PAGES=1 shows Django's debug pages instead. See config/errors.py.
if not env.bool("DEBUG_ERROR_PAGES", default=False):  # noqa: F405
    MIDDLEWARE = [*MIDDLEWARE, "config.errors.BrandedErrorPagesMiddleware"]  # noqa: F405

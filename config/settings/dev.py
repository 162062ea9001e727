from .base import *  # noqa: F403

DEBUG = env.bool("DEBUG", default=True)  # noqa: F405
EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
# `make run` starts the local fake Stripe (test mode) when no STRIPE_SECRET_KEY is set: billing/fake_stripe.py.
FAKE_STRIPE_ALLOWED = True

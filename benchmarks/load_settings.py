"""BENCHMARK ONLY (``benchmarks/load.py``): the production settings, with Stripe pointed at the local fake.

Never use this module to serve anything. ``config/settings/production.py`` rightly refuses a
non-https ``STRIPE_API_BASE`` (the local fake Stripe). The load benchmark runs gunicorn and the
qcluster on production settings against ``billing/fake_stripe.py`` on 127.0.0.1, so this module
imports production (which checks the environment as usual: ``benchmarks/load.py`` sets an https
placeholder there and keys that are not the fake's default test values) and only then points the
Stripe client at ``LOAD_FAKE_STRIPE_API_BASE``, which must be an http URL on 127.0.0.1. Nothing
else differs from production: HTTPS redirect, HSTS, secure cookies and CSRF checks stay on (the
load generator sends ``X-Forwarded-Proto: https`` as the reverse proxy would).
"""

import os

from django.core.exceptions import ImproperlyConfigured

from config.settings.production import *  # noqa: F403

STRIPE_API_BASE = os.environ.get("LOAD_FAKE_STRIPE_API_BASE", "")
if not STRIPE_API_BASE.startswith("http://127.0.0.1:"):
    raise ImproperlyConfigured("benchmarks/load_settings.py is for benchmarks/load.py only (fake Stripe on 127.0.0.1).")
STATIC_ROOT = os.environ.get("LOAD_STATIC_ROOT") or STATIC_ROOT  # noqa: F405 - collectstatic into a throw-away folder

"""Run the local fake Stripe (TEST MODE) on 127.0.0.1 until stopped.

    python manage.py fake_stripe [--port 12111] [--webhook-url http://127.0.0.1:8000/billing/stripe/webhook/]

`make run` (scripts/run-dev.sh) starts it when no STRIPE_SECRET_KEY is configured and points the
app at it (STRIPE_API_BASE, test keys, the webhook secret printed below), so that paying a bill
works out of the box: its Checkout page, marked as test mode, delivers a signed
checkout.session.completed to the app's webhook and sends the browser back. No real money moves.
Refused where settings.FAKE_STRIPE_ALLOWED is false (production).
"""

from urllib.parse import urljoin

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.urls import reverse

REFUSED = (
    "此环境不允许运行模拟支付服务（FAKE_STRIPE_ALLOWED = False），生产环境只连接真实的 Stripe。"
    " / The fake Stripe is not allowed here (FAKE_STRIPE_ALLOWED = False): production talks to the real Stripe only."
)


class Command(BaseCommand):
    help = "Run the local fake Stripe (test mode, no real money) that `make run` uses when no Stripe key is set."

    def add_arguments(self, parser):
        from billing.fake_stripe import DEFAULT_PORT

        parser.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"Port on 127.0.0.1 (default {DEFAULT_PORT}).")
        parser.add_argument(
            "--webhook-url",
            default="",
            help="Where the fake delivers signed events (default: SITE_URL + the app's Stripe webhook path).",
        )

    def handle(self, *args, port: int, webhook_url: str, **options):
        if not getattr(settings, "FAKE_STRIPE_ALLOWED", False):
            raise CommandError(REFUSED)
        from billing.fake_stripe import WEBHOOK_SECRET, FakeStripe, FakeStripeServer

        webhook_url = webhook_url or urljoin(settings.SITE_URL, reverse("billing:stripe_webhook"))
        secret = settings.STRIPE_WEBHOOK_SECRET or WEBHOOK_SECRET
        try:
            server = FakeStripeServer(FakeStripe(webhook_secret=secret), webhook_url=webhook_url, port=port)
        except OSError as exc:
            raise CommandError(f"端口 {port} 不可用 / Port {port} is not available: {exc}") from exc
        self.stdout.write(f"Fake Stripe (TEST MODE, no real money) on {server.url}; signed events go to {webhook_url}")
        self.stdout.flush()
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass

"""Provider webhooks: verify against the raw body, store once by event id, handle in a task."""

from django.http import HttpResponse, HttpResponseBadRequest
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from .providers import InvalidNotificationError, get_provider
from .services.provider_events import event_store


@csrf_exempt
@require_POST
def stripe_webhook(request):
    """Stripe's notifications. Bad or missing signature → 400 and nothing stored; a duplicate → 200."""
    provider = get_provider("stripe")
    try:
        notification = provider.notification_verify(request.body, request.headers)
    except InvalidNotificationError:
        return HttpResponseBadRequest("invalid signature", content_type="text/plain")
    event_store(provider=provider.name, notification=notification)
    return HttpResponse("ok", content_type="text/plain")

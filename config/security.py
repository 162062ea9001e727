"""Site-wide HTTP headers and the development media server.

The public site, the owners' portal and the back office share one origin, so what one of them lets
a page do (run a script, be cached by a proxy) matters to the others.
"""

from csp.middleware import CSPMiddleware, PolicyParts
from csp.utils import default_config
from django.conf import settings
from django.utils.cache import patch_cache_control
from django.views.static import serve

#: Pages that belong to one person: never stored by a browser's back/forward cache on disk or a proxy.
PRIVATE_PATH_PREFIXES = ("/admin/", "/portal/", "/accounts/")


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    """django-csp's middleware with a second policy for the back office.

    ``CONTENT_SECURITY_POLICY`` (no inline script or style; nonces where a template needs one)
    covers the public site and the portal. Wagtail's admin writes inline scripts (date pickers,
    inline panels) and inline styles, so paths under ``BACKOFFICE_PATH_PREFIX`` get
    ``CONTENT_SECURITY_POLICY_BACKOFFICE``, which is otherwise as strict.
    """

    def get_policy_parts(self, request, response, report_only: bool = False) -> PolicyParts:
        parts = super().get_policy_parts(request, response, report_only=report_only)
        prefix = getattr(settings, "BACKOFFICE_PATH_PREFIX", "/admin/")
        if not report_only and parts.config is None and request.path_info.startswith(prefix):
            backoffice = getattr(settings, "CONTENT_SECURITY_POLICY_BACKOFFICE", None)
            if backoffice:
                parts.config = default_config(backoffice.get("DIRECTIVES", {}))
        return parts


class PrivatePagesCacheMiddleware:
    """``Cache-Control: private, no-store`` on the portal, the back office, the login pages and
    every page shown to a signed-in person: their bills, ballots and owners' data must not be kept
    by a shared proxy or written to disk by the browser."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if request.path_info.startswith(PRIVATE_PATH_PREFIXES) or getattr(user, "is_authenticated", False):
            patch_cache_control(response, private=True, no_store=True)
        return response


def serve_media(request, path: str):
    """Uploaded files in development (DEBUG): images inline, anything else as a download.

    An uploaded HTML page or SVG opened inline would run on our origin; as an attachment the
    browser saves it instead. Whatever serves media in production must follow the same rule.
    """
    response = serve(request, path, document_root=settings.MEDIA_ROOT)
    content_type = response.get("Content-Type", "")
    if not content_type.startswith("image/") or content_type.startswith("image/svg"):
        response["Content-Disposition"] = "attachment"
    response["X-Content-Type-Options"] = "nosniff"
    return response

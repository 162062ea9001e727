from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import DatabaseError, connection
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import check_for_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from .code_login import login_code_send, login_code_user
from .page_cache import person_cacheable
from .portal import ME, sections_for
from .throttling import client_address


@never_cache
@require_GET
def healthz(request):
    """200 when the database answers, 503 when it does not (for load balancers and monitors)."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        return JsonResponse({"status": "error", "database": "unreachable"}, status=503)
    return JsonResponse({"status": "ok", "database": "ok"})


@never_cache
@require_GET
def language_choose(request):
    """The language menu of every page: a GET form, so that the page carries no per-visitor CSRF
    token and can be cached for everyone (accounts.page_cache). Sets the language cookie as Django's
    ``set_language`` does and goes back to ``next`` when it is on this site. Someone else's link can
    at most switch a visitor's language."""
    target = request.GET.get("next") or "/"
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        target = "/"
    response = redirect(target)
    language = request.GET.get("language", "")
    if language and check_for_language(language) and language in dict(settings.LANGUAGES):
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            language,
            max_age=settings.LANGUAGE_COOKIE_AGE,
            path=settings.LANGUAGE_COOKIE_PATH,
            domain=settings.LANGUAGE_COOKIE_DOMAIN,
            secure=settings.LANGUAGE_COOKIE_SECURE,
            httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
            samesite=settings.LANGUAGE_COOKIE_SAMESITE,
        )
    return response


@person_cacheable
@login_required
def portal_home(request):
    """The signed-in owner's or tenant's home: every app's section for them."""
    return render(request, "accounts/portal_home.html", {"sections": sections_for(request)})


@login_required
def portal_me(request):
    """我的: who is signed in, their flats, whom to call at the property office, the public site, log out."""
    return render(request, "accounts/portal_me.html", {"sections": sections_for(request, place=ME)})


class CodeLoginForm(forms.Form):
    mobile = forms.CharField(
        label=gettext_lazy("Mobile number"),
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "username", "autofocus": True}),
    )
    code = forms.CharField(
        label=gettext_lazy("Code"),
        max_length=10,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code"}),
    )


def _next(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return "/portal/"


@never_cache
def login_by_code(request):
    """Log in with a code sent by SMS: step one sends it (to an existing, active account only; the page reads the
    same for any number), step two checks it and logs in."""
    form = CodeLoginForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        mobile, code = form.cleaned_data["mobile"], form.cleaned_data["code"]
        try:
            if request.POST.get("action") == "send_code":
                login_code_send(mobile=mobile, address=client_address(request))
                messages.info(request, _("If this number has an account, a code is on its way by SMS."))
            else:
                user = login_code_user(mobile=mobile, code=code)
                login(request, user, backend="django.contrib.auth.backends.ModelBackend")
                return redirect(_next(request))
        except ValidationError as exc:
            for field, errors in exc.error_dict.items() if hasattr(exc, "error_dict") else [(None, exc.error_list)]:
                form.add_error(field if field in form.fields else None, errors)
            status = 400
    elif request.method == "POST":
        status = 400
    return render(request, "accounts/login_code.html", {"form": form, "next": _next(request)}, status=status)

from django.contrib.auth.decorators import login_required
from django.db import DatabaseError, connection
from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from .portal import ME, sections_for


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


@login_required
def portal_home(request):
    """The signed-in owner's or tenant's home: every app's section for them."""
    return render(request, "accounts/portal_home.html", {"sections": sections_for(request)})


@login_required
def portal_me(request):
    """我的: who is signed in, their flats, whom to call at the property office, the public site, log out."""
    return render(request, "accounts/portal_me.html", {"sections": sections_for(request, place=ME)})

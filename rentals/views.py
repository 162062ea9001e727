"""Public pages of 存房 (pooled flats for rent). Until listings exist, /rentals/ says what is coming."""

from django.shortcuts import render
from django.views.decorators.http import require_GET


@require_GET
def coming_soon(request):
    return render(request, "rentals/coming_soon.html")

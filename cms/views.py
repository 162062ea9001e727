"""Public site views beside Wagtail's page serving: search, robots.txt and /favicon.ico."""

from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.views.decorators.http import require_GET

from accounts.page_cache import cacheable

from .forms import SearchForm
from .search import search_pages


@require_GET
def search(request):
    cacheable(request)  # the same answer for everyone: invalidated when a page is published
    form = SearchForm(request.GET)
    query = form.cleaned_data["q"] if form.is_valid() else ""
    outcome = search_pages(query, page_number=request.GET.get("page", 1))
    return render(request, "cms/search.html", {"form": form, "outcome": outcome})


@require_GET
def robots_txt(request):
    lines = [
        "User-agent: *",
        "Disallow: /admin/",
        "Disallow: /accounts/",
        "Disallow: /portal/",
        "Disallow: /billing/",
        "Disallow: /search/",
        "",
        f"Sitemap: {request.build_absolute_uri('/sitemap.xml')}",
        "",
    ]
    return HttpResponse("\n".join(lines), content_type="text/plain; charset=utf-8")


@require_GET
def favicon(request):
    """/favicon.ico, which browsers and feed readers ask for whatever the page links: the static icon."""
    return redirect(static("favicon.ico"))

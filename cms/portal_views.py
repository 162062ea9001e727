"""The owners' portal side of the public notices: the notices of the owner's own estate(s)."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import render
from django.views.decorators.http import require_GET

from .selectors import notice_index_page, notice_pages_for_user

PER_PAGE = 20


@login_required
@require_GET
def notice_list(request):
    page = Paginator(notice_pages_for_user(user=request.user), PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request, "cms/portal/notices.html", {"notices": page.object_list, "page": page, "index_page": notice_index_page()}
    )

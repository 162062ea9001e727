"""The owners' portal side of the public notices: the notices of the owner's own estate(s)."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import render
from django.views.decorators.http import require_GET

from .models import NoticeIndexPage, NoticePage

PER_PAGE = 20


@login_required
@require_GET
def notice_list(request):
    page = Paginator(NoticePage.objects.for_owner(user=request.user), PER_PAGE).get_page(request.GET.get("page"))
    # The public notice index (公示), for "see all notices on the public site"; None if not set up.
    index_page = NoticeIndexPage.objects.live().public().first()
    return render(request, "cms/portal/notices.html", {"notices": page.object_list, "page": page, "index_page": index_page})

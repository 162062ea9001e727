"""Owners' portal pages for assemblies: list, detail with own ballot and result, vote. Thin: selectors and services do the work."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from . import services
from .forms import VoteForm
from .models import AssemblyStatus
from .portal import threshold_bars
from .selectors import assemblies_for_owner, assembly_for_owner, ballots_of_owner, voter_for_assembly

PAGE_SIZE = 20


@login_required
def assembly_list(request):
    page = Paginator(assemblies_for_owner(user=request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "property_services/portal/assembly_list.html", {"assemblies": page.object_list, "page": page})


def _detail(request, assembly, form=None, status=200):
    voter = voter_for_assembly(user=request.user, assembly=assembly)
    ballots = ballots_of_owner(owner=voter, assembly=assembly)
    matters = list(assembly.matters.all())
    if form is None and assembly.voting_is_open():
        form = VoteForm(matters=matters, ballots=ballots)
    for matter in matters:
        matter.bars = threshold_bars(matter)
    rows = [(matter, ballots.get(matter.pk)) for matter in matters]
    context = {
        "assembly": assembly,
        "rows": rows,
        "form": form if assembly.voting_is_open() else None,
        "voter": voter,
        "published": assembly.status == AssemblyStatus.PUBLISHED,
    }
    return render(request, "property_services/portal/assembly_detail.html", context, status=status)


@login_required
def assembly_detail(request, pk: int):
    assembly = assembly_for_owner(user=request.user, pk=pk)
    if assembly is None:
        raise Http404
    return _detail(request, assembly)


@login_required
@require_POST
def assembly_vote(request, pk: int):
    assembly = assembly_for_owner(user=request.user, pk=pk)
    if assembly is None:
        raise Http404
    voter = voter_for_assembly(user=request.user, assembly=assembly)
    form = VoteForm(
        request.POST,
        matters=list(assembly.matters.all()),
        ballots=ballots_of_owner(owner=voter, assembly=assembly),
        # Once voting has closed the service's refusal says so; asking about blank matters first would hide it.
        warn_blank=assembly.voting_is_open(),
    )
    if form.is_valid():
        try:
            services.assembly_vote(assembly=assembly, owner=voter, choices=form.choices(), by=request.user)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return _detail(request, assembly, form=form, status=400)
        messages.success(request, _("Your vote has been recorded. You can change it until voting closes."))
        return redirect("governance:assembly_detail", pk=assembly.pk)
    return _detail(request, assembly, form=form, status=400)

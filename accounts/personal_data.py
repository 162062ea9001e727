"""A person's own data, for them to download (PIPL Art. 45), and the log of every full view of personal data for the
platform's administrators.

accounts depends on no other app, so the apps that hold personal data say what they hold through two settings
lists (registries): ``ANJU_PERSONAL_DATA_EXPORTERS`` — dotted paths of ``fn(user) -> (title, list of records)``,
each record a flat dict of plain values — and ``ANJU_PERSONAL_DATA_ACCESS_LOGS`` — dotted paths of
``fn(limit) -> list of AccessRow`` (the most recent full views of someone's personal data by staff: owners' ID
numbers and phones, applicants' and tenants' numbers). A new app with personal data adds its function to both.
"""

from __future__ import annotations

import datetime
import json
from dataclasses import dataclass
from functools import cache

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET


@dataclass(frozen=True)
class AccessRow:
    at: datetime.datetime
    viewer: str  # the staff member's masked mobile and name
    subject: str  # whose data, masked ("owner #12", "applicant #4")
    field: str
    reason: str = ""


@cache
def _functions(setting: str) -> tuple:
    return tuple(import_string(path) for path in getattr(settings, setting, ()))


def personal_data_of(user) -> dict:
    """Everything Anju holds about ``user``, by section (full values: it is the person's own data)."""
    data: dict = {
        "exported_at": timezone.localtime().isoformat(timespec="seconds"),
        "law": "个人信息保护法第四十五条 / PIPL Art. 45",
    }
    for fn in _functions("ANJU_PERSONAL_DATA_EXPORTERS"):
        title, records = fn(user)
        if records:
            data[str(title)] = records
    return data


@login_required
@require_GET
def my_data_download(request):
    """The signed-in person downloads a copy of their data as JSON (PIPL Art. 45: the right to access and copy)."""
    body = json.dumps(personal_data_of(request.user), cls=DjangoJSONEncoder, ensure_ascii=False, indent=1)
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="anju-my-data.json"'
    response["Cache-Control"] = "no-store"
    return response


def account_record(user):
    """The account itself: mobile, name, when it was made and last used, its roles."""
    roles = [str(role) for role in user.role_assignments.all()]
    return _("Account"), [
        {
            _("mobile"): user.mobile,
            _("e-mail"): user.email,
            _("name"): user.get_full_name(),
            _("joined"): user.date_joined,
            _("last login"): user.last_login,
            _("roles"): "、".join(roles),
        }
    ]


def access_log(*, limit: int = 500) -> list[AccessRow]:
    rows: list[AccessRow] = []
    for fn in _functions("ANJU_PERSONAL_DATA_ACCESS_LOGS"):
        rows.extend(fn(limit))
    rows.sort(key=lambda row: row.at, reverse=True)
    return rows[:limit]


def _is_platform_admin(user) -> bool:
    from accounts.models import Role

    return bool(
        user.is_authenticated
        and user.is_active
        and (user.is_superuser or user.role_assignments.filter(role=Role.PLATFORM_ADMIN).exists())
    )


def access_log_view(request):
    """Back office: the log of every full view of personal data, for platform administrators only (PIPL Arts. 51, 54:
    the handler controls and audits access to personal information)."""
    if not _is_platform_admin(request.user):
        raise PermissionDenied
    return render(
        request,
        "accounts/admin/personal_data_log.html",
        {"rows": access_log(limit=500), "page_title": _("Views of personal data")},
    )

"""Back-office pages for the inventory workbook: upload (import) and download (export).

Included under /admin/inventory/ through Wagtail's ``register_admin_urls`` hook (see admin_urls).
Staff only ever touch the estates they see: the import checks every row against the user's scope
and the export contains only visible estates, with ID numbers and phones masked (see the
docstring of estates.inventory for why).
"""

import re
from io import BytesIO

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.validators import FileExtensionValidator
from django.http import Http404, HttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .inventory import inventory_export, inventory_import
from .selectors import estates_visible_to

MAX_UPLOAD_BYTES = 20 * 1024 * 1024
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ERRORS_SHOWN = 1000
LABELS = {
    "estates": gettext_lazy("Estates"),
    "buildings": gettext_lazy("Buildings"),
    "units": gettext_lazy("Units"),
    "owners": gettext_lazy("Owners"),
    "ownerships": gettext_lazy("Ownerships"),
}


class InventoryUploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Inventory workbook (.xlsx)"),
        validators=[FileExtensionValidator(["xlsx"])],
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx," + XLSX_CONTENT_TYPE}),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(
                _("The file is larger than %(size)d MB; split it into several files.")
                % {"size": MAX_UPLOAD_BYTES // 1024 // 1024}
            )
        return upload


@login_required
def inventory_import_view(request):
    if not request.user.has_perm("estates.add_unit"):
        raise PermissionDenied
    form = InventoryUploadForm(request.POST or None, request.FILES or None)
    report = None
    if request.method == "POST" and form.is_valid():
        report = inventory_import(file=form.cleaned_data["file"], user=request.user)
    context = {
        "form": form,
        "report": report,
        "counts": [(LABELS[kind], created, updated) for kind, created, updated in report.rows()] if report else [],
        "errors_shown": report.errors[:ERRORS_SHOWN] if report else [],
        "errors_hidden": max(len(report.errors) - ERRORS_SHOWN, 0) if report else 0,
        "max_upload_mb": MAX_UPLOAD_BYTES // 1024 // 1024,
    }
    return TemplateResponse(request, "estates/inventory_import.html", context)


@login_required
def inventory_export_view(request):
    if not request.user.has_perm("estates.view_unit"):
        raise PermissionDenied
    estates = estates_visible_to(user=request.user)
    code = request.GET.get("estate", "").strip()
    if code:
        estates = estates.filter(code=code)
        if not estates.exists():
            raise Http404
    buffer = BytesIO()
    inventory_export(file=buffer, estates_qs=estates, mask_personal_data=True)
    safe_code = re.sub(r"[^A-Za-z0-9_-]", "", code)
    name = f"inventory-{safe_code + '-' if safe_code else ''}{timezone.localdate():%Y%m%d}.xlsx"
    response = HttpResponse(buffer.getvalue(), content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response

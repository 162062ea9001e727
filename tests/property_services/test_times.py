"""One instant, one Beijing time everywhere (issue 10 item 1): the back office, the portal, the result PDF,
the call notice and the refusal messages all write 2026-12-20 18:30 for a vote closing then.

Voting deadlines are legal dates (物业管理条例 Art. 14 counts from the notice): the back office once
showed them in UTC (10:30), 8 hours off what owners saw."""

import datetime
import shutil
import subprocess

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.formats import format_instant, naive_local
from property_services import pdf
from property_services.models import Assembly, Notice, NoticeKind
from tests.property_services.conftest import call_assembly, make_assembly

pytestmark = pytest.mark.django_db

CLOSES = datetime.datetime(2026, 12, 20, 18, 30, tzinfo=datetime.timezone(datetime.timedelta(hours=8)))
SHOWN = "2026-12-20 18:30"


@pytest.fixture
def assembly(gov_estate, gov_owners, committee_user):
    draft = make_assembly(gov_estate)
    Assembly.objects.filter(pk=draft.pk).update(voting_closes_at=CLOSES)
    draft.refresh_from_db()
    return call_assembly(draft, committee_user)


def test_format_instant_writes_beijing_time_whatever_zone_is_active():
    utc = CLOSES.astimezone(datetime.UTC)
    assert utc.hour == 10
    with timezone.override("UTC"):
        assert format_instant(utc) == SHOWN
        assert naive_local(utc) == datetime.datetime(2026, 12, 20, 18, 30)
    assert format_instant(None) == "—"
    assert format_instant(datetime.date(2026, 12, 20)) == "2026-12-20"


def test_back_office_portal_and_result_pdf_show_the_same_beijing_time(client, assembly, staff_user, gov_owners):
    """物业管理条例 Art. 14: the deadline staff see is the deadline owners see and the document states."""
    client.force_login(staff_user)
    back_office = client.get(reverse("property_services_assembly:inspect", args=[assembly.pk])).content.decode()
    fields = back_office[back_office.index("<dl>") : back_office.index("</dl>")]
    assert SHOWN in fields
    assert "10:30" not in fields  # UTC

    client.force_login(gov_owners[0].user)
    portal = client.get(reverse("governance:assembly_detail", args=[assembly.pk])).content.decode()
    assert SHOWN in portal

    with timezone.override("UTC"):  # as a worker or a request in another zone would render it
        content = pdf.assembly_result_pdf(assembly=assembly)
    if shutil.which("pdftotext"):
        text = subprocess.run(["pdftotext", "-layout", "-", "-"], input=content, capture_output=True, check=True).stdout
        assert SHOWN in text.decode()


def test_back_office_ignores_a_time_zone_picked_in_the_wagtail_profile(client, assembly, staff_user):
    from wagtail.users.models import UserProfile

    profile = UserProfile.get_for_user(staff_user)
    profile.current_time_zone = "UTC"
    profile.save()
    client.force_login(staff_user)
    back_office = client.get(reverse("property_services_assembly:inspect", args=[assembly.pk])).content.decode()
    assert SHOWN in back_office[back_office.index("<dl>") : back_office.index("</dl>")]


def test_call_notice_and_refusal_messages_write_beijing_time(assembly, gov_owners):
    from django.core.exceptions import ValidationError

    from property_services import services

    notice = Notice.objects.get(kind=NoticeKind.ASSEMBLY_CALL, source_id=assembly.pk)
    assert SHOWN in notice.body
    matter = assembly.matters.first()
    with timezone.override("UTC"), pytest.raises(ValidationError) as refused:
        services.assembly_vote(
            assembly=assembly, owner=gov_owners[0], choices={matter.pk: "yes"}, at=CLOSES + datetime.timedelta(minutes=1)
        )
    assert SHOWN in str(refused.value)


def test_back_office_of_another_estate_cannot_open_the_assembly(client, assembly, other_staff):
    client.force_login(other_staff)
    assert client.get(reverse("property_services_assembly:inspect", args=[assembly.pk])).status_code == 404


def test_list_exports_write_beijing_wall_clock_time():
    from wagtail.admin.views.mixins import SpreadsheetExportMixin

    from estates.spreadsheets import SafeSpreadsheetExportMixin

    class Export(SafeSpreadsheetExportMixin, SpreadsheetExportMixin):
        pass

    utc = CLOSES.astimezone(datetime.UTC)
    assert Export().preprocess_field_value("at", utc, "xlsx") == datetime.datetime(2026, 12, 20, 18, 30)
    assert Export().preprocess_field_value("at", utc, "csv") == SHOWN


def test_back_office_lists_write_flags_and_instants_as_people_read_them(client, assembly, staff_user):
    """List cells never show True/False/None, raw values or UTC: the call notice is 已发布 (published), the deadline Beijing time."""
    client.force_login(staff_user)
    notices = client.get(reverse("property_services_notice:index")).content.decode()
    table = listing(notices)
    cells = table.replace(" ", "").replace("\n", "")
    assert ">True<" not in cells and ">published<" not in cells and "已发布" in table
    assert SHOWN in listing(client.get(reverse("property_services_assembly:index")).content.decode())


def listing(html):
    start = html.index('class="listing')
    return html[start : html.index("</table>", start)]

"""Resident surveys (共谋/共评, issue 14): staff or officers put a survey to the households of an estate or a
building — what to renovate next (items with estimated costs) or satisfaction (questions rated 1–5); one answer
per household (unit), whoever of its owners or residents gives it; results as SVG charts, published as a notice
when the survey closes."""

import datetime
import re
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role
from estates.models import Owner, Ownership, RenovationProject, Unit
from property_services.models import (
    Notice,
    NoticeKind,
    Survey,
    SurveyChoice,
    SurveyItem,
    SurveyKind,
    SurveyQuestion,
    SurveyRating,
    SurveyResponse,
    SurveyStatus,
    UnitResident,
)
from property_services.selectors.surveys import survey_results
from property_services.services.surveys import (
    survey_answer,
    survey_close,
    survey_open,
    survey_save,
    surveys_close_due,
)
from property_services.survey_charts import survey_chart, svg_bar_chart
from tests.property_services.conftest import make_owners

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
PAGE = reverse("surveys_portal:page")


def portal(pk):
    return reverse("surveys_portal:survey", args=[pk])


def admin(action, pk=None):
    return reverse(f"property_services_survey:{action}", args=[pk] if pk is not None else [])


@pytest.fixture
def e(make_estate, make_user, settings, tmp_path):
    """Estate SV1: building 1 (units 1-1-101, 1-1-102) and building 2 (2-1-101, 2-1-102).

    Owner A holds both units of building 1; unit 2-1-101 has two co-owners (B and B2); unit 2-1-102 is owned by
    C and a tenant is registered there. Another estate (SV2, another sub-district) has its owner and staff."""
    settings.MEDIA_ROOT = str(tmp_path)
    from estates.models import District, Subdistrict

    estate = make_estate("SV1", name="和平新村", buildings=("1", "2"))
    units = list(Unit.objects.filter(building__estate=estate).order_by("building__number", "number"))
    owners = make_owners(estate, make_user, prefix="1380041")  # A: units 0 and 1; B: unit 2; C: unit 3
    co_owner = Owner.objects.create(estate=estate, name="业主B2", user=make_user("13800419999", Role.OWNER))
    Ownership.objects.filter(unit=units[2]).update(share=Decimal("0.5"))
    Ownership.objects.create(unit=units[2], owner=co_owner, share=Decimal("0.5"), since=datetime.date(2000, 1, 1))
    tenant = make_user("13700004101", Role.TENANT)
    UnitResident.objects.create(unit=units[3], user=tenant, since=datetime.date(2025, 1, 1))

    district = District.objects.create(code="T500104", name="大渡口区")
    elsewhere = Subdistrict.objects.create(code="T500104001", district=district, name="新山村街道")
    other = make_estate("SV2", name="山城公寓", subdistrict=elsewhere)
    strangers = make_owners(other, make_user, prefix="1380042")
    subdistrict = estate.community.subdistrict
    return {
        "estate": estate,
        "units": units,
        "a": owners[0].user,
        "b": owners[1].user,
        "b2": co_owner.user,
        "c": owners[2].user,
        "tenant": tenant,
        "staff": make_user("13900004101", Role.ESTATE_STAFF, estate=estate),
        "officer": make_user("13900004102", Role.SUBDISTRICT_OFFICER, subdistrict=subdistrict),
        "committee": make_user("13900004105", Role.COMMITTEE_MEMBER, estate=estate),
        "other_estate": other,
        "other_staff": make_user("13900004103", Role.ESTATE_STAFF, estate=other),
        "other_officer": make_user("13900004104", Role.SUBDISTRICT_OFFICER, subdistrict=elsewhere),
        "stranger": strangers[0].user,
    }


def renovation_survey(e, *, building=None, max_choices=2, items=(("加装电梯", "300000.00"), ("外墙翻新", "120000.50"), ("增设充电桩", "8000"))):
    survey = Survey(estate=e["estate"], building=building, kind=SurveyKind.RENOVATION_CHOICE, title="下一步改造什么", max_choices=max_choices)
    survey.items = [SurveyItem(title=t, estimated_cost=Decimal(c)) for t, c in items]
    return survey_save(survey=survey, by=e["staff"])


def satisfaction_survey(e, *, questions=("施工质量", "工期与文明施工")):
    project = RenovationProject.objects.create(estate=e["estate"], name="2024年老旧小区改造", year=2024)
    survey = Survey(estate=e["estate"], kind=SurveyKind.PROJECT_SATISFACTION, title="改造满意度", project=project)
    survey.questions = [SurveyQuestion(text=t) for t in questions]
    return survey_save(survey=survey, by=e["officer"])


def opened(survey, by, days=7):
    return survey_open(survey=survey, closes_on=TODAY + datetime.timedelta(days=days), by=by)


def item_ids(survey):
    return list(survey.items.order_by("sort_order").values_list("pk", flat=True))


# --- drafting and opening in the back office ----------------------------------------------------------------


def _formset(prefix, rows):
    data = {
        f"{prefix}-TOTAL_FORMS": str(len(rows)),
        f"{prefix}-INITIAL_FORMS": "0",
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }
    for i, row in enumerate(rows):
        data.update({f"{prefix}-{i}-{k}": v for k, v in row.items()})
        data[f"{prefix}-{i}-id"] = ""
    return data


def test_staff_draft_a_survey_with_items_and_open_it_in_the_back_office(client, e):
    client.force_login(e["staff"])
    base = {"estate": e["estate"].pk, "building": "", "kind": "renovation_choice", "title": "下一步改造什么", "description": "", "project": "", "max_choices": "2"}
    # No item: refused, nothing written.
    response = client.post(admin("add"), {**base, **_formset("items", []), **_formset("questions", [])})
    assert response.status_code == 200 and "请至少列出一个改造项目选项" in response.content.decode()
    assert Survey.objects.count() == 0
    rows = [{"title": "加装电梯", "estimated_cost": "300000.00"}, {"title": "外墙翻新", "estimated_cost": "120000.50"}]
    response = client.post(admin("add"), {**base, **_formset("items", rows), **_formset("questions", [])})
    assert response.status_code == 302, response.content.decode()[-3000:]
    survey = Survey.objects.get()
    assert (survey.status, survey.created_by, survey.max_choices) == ("draft", e["staff"], 2)
    assert list(survey.items.values_list("title", "estimated_cost")) == [("加装电梯", Decimal("300000.00")), ("外墙翻新", Decimal("120000.50"))]
    page = client.get(admin("inspect", survey.pk)).content.decode()
    assert 'data-testid="open"' in page
    # A last day in the past is refused; then it opens for the four households of the estate.
    yesterday = f"{TODAY - datetime.timedelta(days=1):%Y-%m-%d}"
    assert client.post(admin("open", survey.pk), {"closes_on": yesterday}).status_code == 400
    assert client.post(admin("open", survey.pk), {"closes_on": f"{TODAY + datetime.timedelta(days=10):%Y-%m-%d}"}).status_code == 302
    survey.refresh_from_db()
    assert (survey.status, survey.households, survey.closes_on) == ("open", 4, TODAY + datetime.timedelta(days=10))
    # An open survey is not edited any more.
    assert client.get(admin("edit", survey.pk)).status_code == 302
    response = client.post(admin("edit", survey.pk), {**base, "title": "改了", **_formset("items", rows), **_formset("questions", [])})
    survey.refresh_from_db()
    assert survey.title == "下一步改造什么"
    assert 'data-testid="close"' in client.get(admin("inspect", survey.pk)).content.decode()

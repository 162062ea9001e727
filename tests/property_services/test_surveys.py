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


def renovation_survey(
    e, *, building=None, max_choices=2, items=(("加装电梯", "300000.00"), ("外墙翻新", "120000.50"), ("增设充电桩", "8000"))
):
    survey = Survey(
        estate=e["estate"],
        building=building,
        kind=SurveyKind.RENOVATION_CHOICE,
        title="2027年改造项目征询",
        max_choices=max_choices,
    )
    survey.items = [SurveyItem(title=t, estimated_cost=Decimal(c)) for t, c in items]
    return survey_save(survey=survey, by=e["staff"])


def satisfaction_survey(e, *, questions=("施工质量", "工期与文明施工")):
    project = RenovationProject.objects.create(estate=e["estate"], name="2024年老旧小区改造", year=2024)
    survey = Survey(estate=e["estate"], kind=SurveyKind.PROJECT_SATISFACTION, title="改造满意度", project=project)
    survey.questions = [SurveyQuestion(text=t) for t in questions]
    return survey_save(survey=survey, by=e["officer"])


def opened(survey, by, days=7):
    # Today as the test runs, not as the module was collected: a run may cross midnight in Beijing.
    return survey_open(survey=survey, closes_on=timezone.localdate() + datetime.timedelta(days=days), by=by)


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
    base = {
        "estate": e["estate"].pk,
        "building": "",
        "kind": "renovation_choice",
        "title": "下一步改造什么",
        "description": "",
        "project": "",
        "max_choices": "2",
    }
    # No item: refused, nothing written.
    response = client.post(admin("add"), {**base, **_formset("items", []), **_formset("questions", [])})
    assert response.status_code == 200 and "请至少列出一个改造项目选项" in response.content.decode()
    assert Survey.objects.count() == 0
    rows = [{"title": "加装电梯", "estimated_cost": "300000.00"}, {"title": "外墙翻新", "estimated_cost": "120000.50"}]
    response = client.post(admin("add"), {**base, **_formset("items", rows), **_formset("questions", [])})
    assert response.status_code == 302, response.content.decode()[-3000:]
    survey = Survey.objects.get()
    assert (survey.status, survey.created_by, survey.max_choices) == ("draft", e["staff"], 2)
    assert list(survey.items.values_list("title", "estimated_cost")) == [
        ("加装电梯", Decimal("300000.00")),
        ("外墙翻新", Decimal("120000.50")),
    ]
    page = client.get(admin("inspect", survey.pk)).content.decode()
    assert 'data-testid="open"' in page
    # A last day in the past is refused; then it opens for the four households of the estate.
    yesterday = f"{TODAY - datetime.timedelta(days=1):%Y-%m-%d}"
    assert client.post(admin("open", survey.pk), {"closes_on": yesterday}).status_code == 400
    assert (
        client.post(admin("open", survey.pk), {"closes_on": f"{TODAY + datetime.timedelta(days=10):%Y-%m-%d}"}).status_code == 302
    )
    survey.refresh_from_db()
    assert (survey.status, survey.households, survey.closes_on) == ("open", 4, TODAY + datetime.timedelta(days=10))
    # An open survey is not edited any more.
    assert client.get(admin("edit", survey.pk)).status_code == 302
    response = client.post(
        admin("edit", survey.pk), {**base, "title": "改了", **_formset("items", rows), **_formset("questions", [])}
    )
    survey.refresh_from_db()
    assert survey.title == "下一步改造什么"
    assert 'data-testid="close"' in client.get(admin("inspect", survey.pk)).content.decode()


# --- one answer per household ---------------------------------------------------------------------------------


def answer(client, user, survey, unit, **data):
    client.force_login(user)
    return client.post(portal(survey.pk), {"unit": unit.pk, **data})


def test_one_answer_per_household_whoever_answers_for_it(client, e):
    """A unit answers once: co-owners (Civil Code Art. 300: each may act for the unit) and the registered tenant
    share that one answer; a person with two units answers once for each, choosing the unit."""
    survey = opened(renovation_survey(e), e["staff"])
    lift, walls, chargers = item_ids(survey)
    u = e["units"]
    # Owner A holds two units: the page offers both; A answers for each, once.
    client.force_login(e["a"])
    page = client.get(portal(survey.pk)).content.decode()
    assert f'<option value="{u[0].pk}"' in page and f'<option value="{u[1].pk}"' in page
    assert answer(client, e["a"], survey, u[0], items=[lift, walls]).status_code == 302
    response = answer(client, e["a"], survey, u[0], items=[chargers])
    assert response.status_code == 400 and "该户已经答过此问卷" in response.content.decode()
    page = client.get(portal(survey.pk)).content.decode()
    assert f'<option value="{u[0].pk}"' not in page and f'<option value="{u[1].pk}"' in page  # only the unit still to answer
    assert answer(client, e["a"], survey, u[1], items=[lift]).status_code == 302
    assert 'data-testid="all-answered"' in client.get(portal(survey.pk)).content.decode()
    # Two co-owners of one unit: the first answers, the second is refused.
    assert answer(client, e["b"], survey, u[2], items=[walls]).status_code == 302
    response = answer(client, e["b2"], survey, u[2], items=[lift])
    assert response.status_code == 400 and "该户已经答过此问卷" in response.content.decode()
    # The tenant answers for the flat they live in; its owner then cannot answer again.
    assert answer(client, e["tenant"], survey, u[3], items=[chargers]).status_code == 302
    assert answer(client, e["c"], survey, u[3], items=[lift]).status_code == 400
    rows = SurveyResponse.objects.filter(survey=survey)
    assert sorted(rows.values_list("unit_id", "answered_by_id")) == sorted(
        [(u[0].pk, e["a"].pk), (u[1].pk, e["a"].pk), (u[2].pk, e["b"].pk), (u[3].pk, e["tenant"].pk)]
    )
    # What was chosen is exactly the first answers.
    assert SurveyChoice.objects.filter(response__survey=survey).count() == 5


def test_the_database_holds_one_answer_per_household(e):
    survey = opened(renovation_survey(e), e["staff"])
    SurveyResponse.objects.create(survey=survey, unit=e["units"][2], answered_by=e["b"])
    with pytest.raises(IntegrityError), transaction.atomic():
        SurveyResponse.objects.create(survey=survey, unit=e["units"][2], answered_by=e["b2"])
    with pytest.raises(IntegrityError), transaction.atomic():
        SurveyRating.objects.create(
            response=SurveyResponse.objects.get(), question=SurveyQuestion.objects.create(survey=survey, text="x"), rating=6
        )


# --- bad input ------------------------------------------------------------------------------------------------


def test_bad_drafts_are_refused(e):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match="请至少列出一个改造项目选项"):
        renovation_survey(e, items=())
    with pytest.raises(ValidationError, match="每户可选项数须在 1 到 1 之间"):
        renovation_survey(e, items=(("加装电梯", "1.00"),), max_choices=2)
    with pytest.raises(ValidationError, match="估算费用"):
        renovation_survey(e, items=(("加装电梯", "-1.00"),), max_choices=1)
    with pytest.raises(ValidationError, match="请至少列出一个评价问题"):
        satisfaction_survey(e, questions=())
    other_building = e["other_estate"].buildings.get()
    with pytest.raises(ValidationError, match="该楼栋不属于本小区"):
        renovation_survey(e, building=other_building)
    # Another estate's staff cannot publish to this estate; an officer of another sub-district neither.
    survey = Survey(estate=e["estate"], kind=SurveyKind.SERVICE_SATISFACTION, title="物业服务满意度")
    survey.questions = [SurveyQuestion(text="保洁")]
    for outsider in (e["other_staff"], e["other_officer"], e["a"]):
        with pytest.raises(ValidationError, match="只有本小区的物业服务人员"):
            survey_save(survey=survey, by=outsider)
    assert Survey.objects.count() == 0
    # A draft without a closing date in the future does not open; an open one is not changed.
    draft = renovation_survey(e)
    with pytest.raises(ValidationError, match="截止日期不能早于今天"):
        survey_open(survey=draft, closes_on=TODAY - datetime.timedelta(days=1), by=e["staff"])
    opened(draft, e["staff"])
    draft.title = "改了"
    with pytest.raises(ValidationError, match="问卷已发布"):
        survey_save(survey=draft, by=e["staff"])


def test_bad_answers_are_refused_and_nothing_is_written(client, e):
    from django.core.exceptions import ValidationError

    u = e["units"]
    # A survey of building 1 only.
    survey = opened(renovation_survey(e, building=u[0].building, max_choices=1), e["staff"])
    assert survey.households == 2
    lift, walls, _chargers = item_ids(survey)
    # No choice, two choices where one is allowed, an item of another survey.
    assert "请至少选择一项" in answer(client, e["a"], survey, u[0]).content.decode()
    assert "每户最多选择 1 项" in answer(client, e["a"], survey, u[0], items=[lift, walls]).content.decode()
    with pytest.raises(ValidationError, match="所选项目不属于本问卷"):
        survey_answer(survey=survey, unit=u[0], by=e["a"], item_ids=[lift, 999999])
    # A unit outside the survey's building (the person lives there); a unit that is not theirs.
    client.force_login(e["b"])
    assert client.get(portal(survey.pk)).status_code == 404  # building 2 is not asked
    with pytest.raises(ValidationError, match="该房屋不在本问卷的范围内"):
        survey_answer(survey=survey, unit=u[2], by=e["b"], item_ids=[lift])
    response = answer(client, e["a"], survey, u[2], items=[lift])
    assert response.status_code == 400 and "您不是该房屋的业主或登记住户" in response.content.decode()
    other_unit = Unit.objects.filter(building__estate=e["other_estate"]).first()
    assert answer(client, e["a"], survey, other_unit, items=[lift]).status_code == 400
    assert SurveyResponse.objects.count() == 0 and SurveyChoice.objects.count() == 0

    # Ratings outside 1–5, a question left unrated.
    rated = opened(satisfaction_survey(e), e["officer"])
    quality, works = rated.questions.order_by("sort_order")
    for bad in ("6", "0", "-1"):
        response = answer(client, e["c"], rated, u[3], **{f"q_{quality.pk}": bad, f"q_{works.pk}": "4"})
        assert response.status_code == 400 and "评分须为 1 到 5 分" in response.content.decode()
    with pytest.raises(ValidationError, match="评分须为 1 到 5 分"):
        survey_answer(survey=rated, unit=u[3], by=e["c"], ratings={quality.pk: 6, works.pk: 4})
    assert "请为" in answer(client, e["c"], rated, u[3], **{f"q_{quality.pk}": "5"}).content.decode()
    assert SurveyResponse.objects.count() == 0 and SurveyRating.objects.count() == 0

    # A closed survey, and an open one past its last day, take no answer.
    survey_close(survey=rated, by=e["officer"])
    response = answer(client, e["c"], rated, u[3], **{f"q_{quality.pk}": "5", f"q_{works.pk}": "5"})
    assert response.status_code == 400 and "问卷已截止" in response.content.decode()
    with pytest.raises(ValidationError, match="问卷已截止"):
        survey_answer(survey=survey, unit=u[0], by=e["a"], item_ids=[lift], today=survey.closes_on + datetime.timedelta(days=1))
    assert SurveyResponse.objects.count() == 0 and SurveyRating.objects.count() == 0 and SurveyChoice.objects.count() == 0


# --- results --------------------------------------------------------------------------------------------------


def test_results_count_items_and_the_response_rate(e):
    survey = opened(renovation_survey(e), e["staff"])
    lift, walls, chargers = item_ids(survey)
    u = e["units"]
    survey_answer(survey=survey, unit=u[0], by=e["a"], item_ids=[lift, walls])
    survey_answer(survey=survey, unit=u[1], by=e["a"], item_ids=[lift])
    survey_answer(survey=survey, unit=u[2], by=e["b2"], item_ids=[lift, chargers])
    results = survey_results(survey=survey)
    assert (results.answered, results.households, results.response_rate) == (3, 4, Decimal("75.0"))
    assert [(r.item.pk, r.count, r.percent) for r in results.items] == [
        (lift, 3, Decimal("100.0")),
        (walls, 1, Decimal("33.3")),
        (chargers, 1, Decimal("33.3")),
    ]
    # A unit added after the survey opened does not change the households asked.
    Unit.objects.create(building=u[0].building, entrance=1, floor=3, number="301", exclusive_area=Decimal("70.00"))
    assert survey_results(survey=survey).households == 4


def test_results_average_each_question_to_two_places(e):
    survey = opened(satisfaction_survey(e), e["officer"])
    quality, works = survey.questions.order_by("sort_order")
    u = e["units"]
    survey_answer(survey=survey, unit=u[0], by=e["a"], ratings={quality.pk: 5, works.pk: 1}, comment="电梯很好")
    survey_answer(survey=survey, unit=u[2], by=e["b"], ratings={quality.pk: 4, works.pk: 2})
    survey_answer(survey=survey, unit=u[3], by=e["tenant"], ratings={quality.pk: 2, works.pk: 2})
    results = survey_results(survey=survey)
    assert results.response_rate == Decimal("75.0")
    assert [(r.average, r.count, r.distribution) for r in results.questions] == [
        (Decimal("3.67"), 3, (0, 1, 0, 1, 1)),
        (Decimal("1.67"), 3, (1, 2, 0, 0, 0)),
    ]


def test_the_svg_chart_draws_one_bar_per_item_scaled_to_the_households_that_answered(e):
    survey = opened(renovation_survey(e, items=(("加装电梯<script>", "1.00"), ("外墙翻新", "2.00"))), e["staff"])
    lift, walls = item_ids(survey)
    survey_answer(survey=survey, unit=e["units"][0], by=e["a"], item_ids=[lift])
    survey_answer(survey=survey, unit=e["units"][1], by=e["a"], item_ids=[lift, walls])
    svg = str(survey_chart(survey_results(survey=survey), title="结果"))
    assert svg.startswith("<svg") and svg.endswith("</svg>")
    bars = re.findall(r'<rect class="bar" x="220" y="\d+" width="([\d.]+)" height="20" fill="#2f6f4f" data-value="(\d+)">', svg)
    assert bars == [("290.0", "2"), ("145.0", "1")]  # 2 of 2 households: the full width; 1 of 2: half
    assert "<script>" not in svg and "加装电梯&lt;script&gt;" in svg
    assert "2 (100.0%)" in svg and "1 (50.0%)" in svg
    averages = str(svg_bar_chart(bars=[("保洁", Decimal("2.50"), "2.50")], maximum=5, title="t"))
    assert 'width="145.0"' in averages


# --- closing ----------------------------------------------------------------------------------------------------


def test_closing_publishes_the_results_as_a_notice_with_a_pdf(client, e):
    survey = opened(renovation_survey(e), e["staff"])
    lift, walls, _ = item_ids(survey)
    survey_answer(survey=survey, unit=e["units"][0], by=e["a"], item_ids=[lift, walls])
    # Before closing, residents see no results.
    client.force_login(e["b"])
    assert 'data-testid="chart"' not in client.get(portal(survey.pk)).content.decode()
    notice = survey_close(survey=survey, by=e["staff"], note="提前截止")
    survey.refresh_from_db()
    assert survey.status == SurveyStatus.CLOSED and survey.closed_at is not None
    assert (notice.kind, notice.estate, notice.status, notice.source) == (
        NoticeKind.SURVEY_RESULT,
        e["estate"],
        "published",
        survey,
    )
    assert "2027年改造项目征询" in notice.title and "参与率 25.0%" in notice.body and "加装电梯" in notice.body
    with notice.pdf.open("rb") as f:
        assert f.read(5) == b"%PDF-"
    assert list(survey.status_changes.values_list("from_status", "to_status", "by", "note")) == [
        ("draft", "open", e["staff"].pk, ""),
        ("open", "closed", e["staff"].pk, "提前截止"),
    ]
    # Residents now read the results with the chart in the portal, and the notice among their estate's notices.
    page = client.get(portal(survey.pk)).content.decode()
    assert page.count('<rect class="bar"') == 3 and 'data-testid="response-rate"' in page
    assert re.search(rf'data-testid="item-{lift}">.*?data-testid="count">(\d+)<', page).group(1) == "1"
    from cms.services import notice_page_sync

    notice_page_sync(notice=notice)  # the cms task that puts notices on the site
    assert notice.title in client.get(reverse("portal_notices:list")).content.decode()
    # Closing twice is refused.
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        survey_close(survey=survey, by=e["staff"])
    assert Notice.objects.filter(kind=NoticeKind.SURVEY_RESULT).count() == 1


def test_the_daily_task_closes_surveys_after_their_last_day(e):
    from django_q.models import Schedule

    from property_services.tasks import SURVEYS_CLOSE_SCHEDULE

    assert Schedule.objects.filter(name=SURVEYS_CLOSE_SCHEDULE, func="property_services.tasks.surveys_close_daily").exists()
    today = timezone.localdate()
    due = opened(renovation_survey(e), e["staff"], days=0)
    later = opened(satisfaction_survey(e), e["officer"], days=3)
    assert surveys_close_due(today=today) == 0  # the last day itself still takes answers
    assert surveys_close_due(today=today + datetime.timedelta(days=1)) == 1
    due.refresh_from_db()
    later.refresh_from_db()
    assert (due.status, later.status) == ("closed", "open")
    assert due.status_changes.last().by is None
    assert Notice.objects.filter(kind=NoticeKind.SURVEY_RESULT, source_id=due.pk).count() == 1
    assert surveys_close_due(today=today + datetime.timedelta(days=1)) == 0  # safe to run twice
    assert Notice.objects.filter(kind=NoticeKind.SURVEY_RESULT).count() == 1


# --- permissions on every URL -------------------------------------------------------------------------------


def _back_office_urls(survey_pk):
    """Every URL of the surveys' back office, found from the viewset (a URL added later is checked too)."""
    from property_services.viewsets.surveys import SurveyViewSet

    urls = {}
    for pattern in SurveyViewSet("property_services_survey", url_prefix="property_services/survey").get_urlpatterns():
        args = [survey_pk] if "pk" in pattern.pattern.converters else []
        urls[pattern.name] = reverse(f"property_services_survey:{pattern.name}", args=args)
    return urls


def test_every_back_office_url_refuses_the_wrong_person(client, e):
    draft = renovation_survey(e)
    live = opened(renovation_survey(e), e["staff"])
    urls = _back_office_urls(draft.pk)
    assert {"index", "add", "edit", "delete", "inspect", "open", "close"} <= set(urls)
    objects = {name: url for name, url in urls.items() if str(draft.pk) in url.rstrip("/").split("/")[-1:]}
    assert {"edit", "delete", "inspect", "open", "close", "history"} <= set(objects)
    # Staff of the estate and an officer of its sub-district reach each page.
    for person in (e["staff"], e["officer"]):
        client.force_login(person)
        for name in ("index", "add", "inspect", "edit", "open", "history"):
            assert client.get(urls[name]).status_code == 200, (person, name)
        assert client.get(admin("close", live.pk)).status_code == 200
    # The committee sees the survey and its results but does not open or close it.
    client.force_login(e["committee"])
    assert client.get(urls["inspect"]).status_code == 200
    # (Wagtail answers a permission refusal with a redirect to the dashboard and a message.)
    refused = client.get(urls["open"])
    assert refused.status_code == 302 and refused.url == "/admin/"
    refused = client.post(admin("close", live.pk), {"note": ""})
    assert refused.status_code == 302 and refused.url == "/admin/"
    # Another estate's staff, an officer of another sub-district: not found, and absent from the list.
    for outsider in (e["other_staff"], e["other_officer"]):
        client.force_login(outsider)
        for name, url in objects.items():
            assert client.get(url).status_code == 404, (outsider, name)
        assert client.post(urls["open"], {"closes_on": f"{TODAY:%Y-%m-%d}"}).status_code == 404
        assert client.post(admin("close", live.pk), {"note": ""}).status_code == 404
        assert client.get(admin("inspect", live.pk)).status_code == 404
        assert "2027年改造项目征询" not in client.get(urls["index"]).content.decode()
    # An owner (of this estate or another) has no back office; anonymous is sent to log in.
    for person in (e["a"], e["stranger"], None):
        if person is None:
            client.logout()
        else:
            client.force_login(person)
        for name, url in urls.items():
            response = client.get(url)
            assert response.status_code in (302, 403), (person, name)
            if person is None:
                assert response.status_code == 302 and "login" in response.url
        assert client.post(urls["open"], {"closes_on": f"{TODAY:%Y-%m-%d}"}).status_code in (302, 403)
        assert client.post(admin("close", live.pk), {"note": ""}).status_code in (302, 403)
    draft.refresh_from_db()
    live.refresh_from_db()
    assert (draft.status, live.status) == ("draft", "open")


def test_every_portal_url_refuses_the_wrong_person(client, e):
    draft = renovation_survey(e)
    survey = opened(renovation_survey(e), e["staff"])
    lift = item_ids(survey)[0]
    # A resident of the estate sees the open survey on the portal home, the list and its page; never a draft.
    client.force_login(e["tenant"])
    home = client.get(reverse("portal_home")).content.decode()
    assert f'data-testid="survey-link-{survey.pk}"' in home
    listing = client.get(PAGE).content.decode()
    assert f'data-testid="survey-{survey.pk}"' in listing and f'data-testid="survey-{draft.pk}"' not in listing
    assert client.get(portal(survey.pk)).status_code == 200
    assert client.get(portal(draft.pk)).status_code == 404
    # An owner of another estate and the estate's staff (who live nowhere here): not found, nothing written.
    for person in (e["stranger"], e["staff"]):
        client.force_login(person)
        assert f'data-testid="survey-{survey.pk}"' not in client.get(PAGE).content.decode()
        assert client.get(portal(survey.pk)).status_code == 404
        assert client.post(portal(survey.pk), {"unit": e["units"][0].pk, "items": [lift]}).status_code == 404
    # Anonymous: to the login page.
    client.logout()
    for url in (PAGE, portal(survey.pk)):
        response = client.get(url)
        assert response.status_code == 302 and "login" in response.url
    assert client.post(portal(survey.pk), {"unit": e["units"][0].pk, "items": [lift]}).status_code == 302
    assert SurveyResponse.objects.count() == 0


# --- a fixed number of queries ----------------------------------------------------------------------------------


def _queries(client, url):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_pages_run_a_fixed_number_of_queries_whatever_the_size(client, e):
    small = opened(renovation_survey(e, items=(("加装电梯", "1.00"),), max_choices=1), e["staff"])
    big = opened(renovation_survey(e, items=[(f"项目{i}", f"{i}.00") for i in range(8)], max_choices=3), e["staff"])
    survey_answer(survey=small, unit=e["units"][0], by=e["a"], item_ids=item_ids(small))
    for unit, user in zip(e["units"], (e["a"], e["a"], e["b"], e["c"]), strict=True):
        survey_answer(survey=big, unit=unit, by=user, item_ids=item_ids(big)[:3])
    rated_small = opened(satisfaction_survey(e, questions=("质量",)), e["officer"])
    rated_big = opened(satisfaction_survey(e, questions=[f"问题{i}" for i in range(6)]), e["officer"])
    for unit, user in zip(e["units"][2:], (e["b"], e["c"]), strict=True):
        survey_answer(survey=rated_big, unit=unit, by=user, ratings={q.pk: 4 for q in rated_big.questions.all()}, comment="好")
    # The resident's page while open (the form), then the results once closed; the back office's page.
    client.force_login(e["c"])
    assert _queries(client, portal(small.pk)) == _queries(client, portal(big.pk))
    assert _queries(client, portal(rated_small.pk)) == _queries(client, portal(rated_big.pk))
    for s in (small, big, rated_small, rated_big):
        survey_close(survey=s, by=e["staff"])
    assert _queries(client, portal(small.pk)) == _queries(client, portal(big.pk))
    assert _queries(client, portal(rated_small.pk)) == _queries(client, portal(rated_big.pk))
    client.force_login(e["staff"])
    assert _queries(client, admin("inspect", small.pk)) == _queries(client, admin("inspect", big.pk))
    assert _queries(client, admin("inspect", rated_small.pk)) == _queries(client, admin("inspect", rated_big.pk))
    page = client.get(admin("inspect", rated_big.pk)).content.decode()
    assert page.count('<rect class="bar"') == 6 and page.count('data-testid="comment"') == 2
    assert 'data-testid="response-rate"' in page


def test_district_officers_publish_to_the_estates_of_their_district_only(e, make_user):
    from django.core.exceptions import ValidationError

    district = e["estate"].community.subdistrict.district
    officer = make_user("13900004106", Role.DISTRICT_OFFICER, district=district)
    elsewhere = make_user("13900004107", Role.DISTRICT_OFFICER, district=e["other_estate"].community.subdistrict.district)
    survey = Survey(estate=e["estate"], kind=SurveyKind.SERVICE_SATISFACTION, title="物业服务满意度")
    survey.questions = [SurveyQuestion(text="保洁"), SurveyQuestion(text="安保")]
    with pytest.raises(ValidationError, match="只有本小区的物业服务人员"):
        survey_save(survey=survey, by=elsewhere)
    survey_save(survey=survey, by=officer)
    with pytest.raises(ValidationError, match="只有本小区的物业服务人员"):
        survey_open(survey=survey, closes_on=TODAY, by=elsewhere)
    opened(survey, officer)
    survey.refresh_from_db()
    assert (survey.status, survey.households, survey.created_by) == ("open", 4, officer)


def test_a_survey_whose_results_fail_to_publish_is_published_on_the_next_run(e, monkeypatch):
    from property_services import pdf

    broken = opened(renovation_survey(e), e["staff"], days=0)
    fine = opened(satisfaction_survey(e), e["officer"], days=0)
    render = pdf.survey_results_pdf

    def failing(*, survey):
        if survey.pk == broken.pk:
            raise OSError("字体缺失")
        return render(survey=survey)

    monkeypatch.setattr(pdf, "survey_results_pdf", failing)
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    with pytest.raises(OSError):
        surveys_close_due(today=tomorrow)
    # Both closed (answers stopped on time); only the second has its notice.
    assert set(Survey.objects.values_list("status", flat=True)) == {"closed"}
    assert list(Notice.objects.filter(kind=NoticeKind.SURVEY_RESULT).values_list("source_id", flat=True)) == [fine.pk]
    monkeypatch.setattr(pdf, "survey_results_pdf", render)
    assert surveys_close_due(today=tomorrow) == 0
    assert sorted(Notice.objects.filter(kind=NoticeKind.SURVEY_RESULT).values_list("source_id", flat=True)) == [
        broken.pk,
        fine.pk,
    ]


@pytest.mark.skipif(not __import__("shutil").which("pdftotext"), reason="needs poppler-utils")
def test_the_results_pdf_states_the_figures_in_real_chinese_text(e, tmp_path, caplog):
    """The published PDF names no household: only items, counts, shares and the response rate."""
    import logging

    from tests.billing.test_receipt_pdf import pdf_fonts, pdf_text

    survey = opened(renovation_survey(e), e["staff"])
    lift, walls, _ = item_ids(survey)
    survey_answer(survey=survey, unit=e["units"][0], by=e["a"], item_ids=[lift, walls])
    survey_answer(survey=survey, unit=e["units"][3], by=e["tenant"], item_ids=[lift])
    caplog.set_level(logging.WARNING, logger="weasyprint")
    content = survey_close(survey=survey, by=e["staff"]).pdf.read()
    text = re.sub(r"\s+", "", pdf_text(content, tmp_path))
    assert "和平新村" in text and "加装电梯" in text and "¥300,000.00" in text and "50.0%" in text
    assert "2(100.0%)" in text and "1(50.0%)" in text  # the chart's figures, drawn as text
    assert e["units"][0].key not in text and e["a"].name not in text
    cjk = [f for f in pdf_fonts(content, tmp_path) if re.search(r"Noto.?Sans.?CJK", f["name"])]
    assert cjk and all(f["emb"] == "yes" and f["uni"] == "yes" for f in cjk)
    assert not [r for r in caplog.records if ".notdef" in r.getMessage()]

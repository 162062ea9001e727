"""Search finds what a page shows (issue 9, item 11).

A case study shows its renovation project's live facts (content items, funding sources and
figures) and a synced notice shows its body: searching /search/?q= for words of that text finds
the page, and keeps finding it after the facts change in the back office, without a new revision.
The sampler draws random 2–4 character substrings (with Chinese in them) from the rendered main
text of every live page of the demo data and counts how often /search/ finds the page: ≥ 95 %.
"""

import random
import re
from decimal import Decimal

import pytest
from bs4 import BeautifulSoup
from django.core.management import call_command
from django.urls import reverse
from wagtail.models import Page

from accounts.models import Role
from cms.search import has_cjk

pytestmark = pytest.mark.django_db

SEED = 2026
SAMPLES_PER_PAGE = 30
RECALL_TARGET = 0.95

# What is not the page's own text: navigation, forms, links to other pages, listings of other pages
# and platform-wide figures (marked data-listing; each listed page is found as itself), status
# badges and notes that depend on today's date, and the chart (the table beside it has its figures).
NOT_PAGE_TEXT = "form, nav, a, script, style, svg, .messages, .badge, .display-period .note, [data-listing]"


def main_text(html: str) -> str:
    main = BeautifulSoup(html, "html.parser").find("main")
    for element in main.select(NOT_PAGE_TEXT):
        element.decompose()
    return " ".join(main.get_text(" ").split())


def sample_substrings(text: str, rng: random.Random, count: int) -> list[str]:
    """``count`` random substrings of 2–4 characters, each with Chinese in it, never across a space."""
    words = [w for w in text.split() if len(w) >= 2 and has_cjk(w)]
    samples: list[str] = []
    while words and len(samples) < count:
        word = rng.choice(words)
        length = rng.randint(2, min(4, len(word)))
        start = rng.randint(0, len(word) - length)
        candidate = word[start : start + length]
        if has_cjk(candidate):
            samples.append(candidate)
    return samples


def search_finds(client, query: str, url: str) -> bool:
    """Whether /search/?q=query lists the page at ``url`` on any of its result pages."""
    number = 1
    while True:
        html = client.get("/search/", {"q": query, "page": number}).content.decode()
        if f'href="{url}"' in html:
            return True
        if 'rel="next"' not in html:
            return False
        number += 1


def test_random_chinese_substrings_of_every_live_page_find_the_page(client):
    # The demo site at a tenth of the inventory (60 units): the same kinds of pages; the estates and
    # projects that case studies and notices show are there, the flats do not matter to search.
    call_command("seed_demo", "--units", "60", verbosity=0, stdout=open("/dev/null", "w"))  # noqa: SIM115
    rng = random.Random(SEED)
    pages = list(Page.objects.live().public().filter(depth__gt=1).specific().order_by("path"))
    assert {type(p).__name__ for p in pages} >= {"CaseStudyPage", "NoticePage", "NewsPage", "PolicyPage", "HomePage"}
    found = total = 0
    misses: list[tuple[str, str]] = []
    for page in pages:
        url = page.url
        text = main_text(client.get(url).content.decode())
        for query in sample_substrings(text, rng, SAMPLES_PER_PAGE):
            total += 1
            if search_finds(client, query, url):
                found += 1
            else:
                misses.append((url, query))
    assert total >= 200
    assert found / total >= RECALL_TARGET, f"recall {found}/{total}; missed: {misses}"


# --- case studies: the project's live facts ------------------------------------------------------


def result_titles(client, query: str) -> set[str]:
    html = client.get("/search/", {"q": query}).content.decode()
    results = BeautifulSoup(html, "html.parser").select("[data-testid=search-results] h2 a")
    return {a.get_text(strip=True) for a in results}


@pytest.fixture
def case_study(make_project, make_case_study):
    project = make_project(
        "P1",
        items=[("basic", "雨污管网改造", Decimal("320"), "米")],
        funding=[("central_government", Decimal("1200000.00")), ("utilities", Decimal("80000.00"))],
    )
    return make_case_study("金汤街小区改造纪实", project=project, intro="一个老小区的变化。", body=[])


def test_a_case_study_is_found_by_the_facts_it_shows(client, case_study):
    page_html = client.get(case_study.url).content.decode()
    for shown in ("雨污管网改造", "320米", "1,200,000.00"):
        assert shown in page_html, shown
        assert "金汤街小区改造纪实" in result_titles(client, shown), shown


def form_data(html: str, form_selector: str = "form[method=post i]") -> dict[str, str]:
    """What the browser would send for the form as shown (text inputs, checked boxes, selections)."""
    form = BeautifulSoup(html, "html.parser").select_one(form_selector)
    data: dict[str, str] = {}
    for field in form.select("input[name], select[name], textarea[name]"):
        name = field["name"]
        if field.name == "textarea":
            data[name] = field.get_text()
        elif field.name == "select":
            chosen = field.select_one("option[selected]") or field.select_one("option")
            data[name] = chosen.get("value", "") if chosen else ""
        elif field.get("type") in ("checkbox", "radio"):
            if field.has_attr("checked"):
                data[name] = field.get("value", "on")
        elif field.get("type") not in ("submit", "button", "file"):
            data[name] = field.get("value", "")
    return data


def test_facts_changed_in_the_back_office_are_found_without_republishing(
    client, case_study, make_user, django_capture_on_commit_callbacks
):
    """The sub-district officer adds a content item and a funding line to the project: the case
    study is found by them at once, though nobody published the page again."""
    project = case_study.project
    staff = make_user("13900000301", Role.SUBDISTRICT_OFFICER, subdistrict=project.estate.community.subdistrict)
    revisions_before = case_study.revisions.count()
    assert "金汤街小区改造纪实" not in result_titles(client, "屋顶防水")

    client.force_login(staff)
    edit_url = reverse("estates_renovationproject:edit", args=[project.pk])
    data = form_data(client.get(edit_url).content.decode())
    for prefix, fields in (
        ("content_items", {"content_class": "basic", "title": "屋顶防水", "quantity": "1500", "measure": "平方米"}),
        ("funding_lines", {"source": "social_capital", "amount": "230000.00", "note": ""}),
    ):
        index = int(data[f"{prefix}-TOTAL_FORMS"])
        data[f"{prefix}-TOTAL_FORMS"] = str(index + 1)
        for name, value in fields.items():
            data[f"{prefix}-{index}-{name}"] = value
        data[f"{prefix}-{index}-ORDER"] = str(index + 1)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(edit_url, data)
    assert response.status_code == 302, response.content.decode()[:3000]
    assert project.content_items.filter(title="屋顶防水").exists()

    client.logout()
    assert "屋顶防水" in client.get(case_study.url).content.decode()
    assert "金汤街小区改造纪实" in result_titles(client, "屋顶防水")
    assert "金汤街小区改造纪实" in result_titles(client, "230,000.00")
    assert case_study.revisions.count() == revisions_before


def test_renaming_the_estate_in_the_back_office_refreshes_the_case_study(
    client, case_study, make_user, django_capture_on_commit_callbacks
):
    estate = case_study.project.estate
    admin = make_user("13900000302", Role.PLATFORM_ADMIN)
    client.force_login(admin)
    edit_url = reverse("estates_estate:edit", args=[estate.pk])
    data = form_data(client.get(edit_url).content.decode())
    data["name"] = "菜园坝新村"
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(edit_url, data)
    assert response.status_code == 302, response.content.decode()[:3000]
    client.logout()
    assert "金汤街小区改造纪实" in result_titles(client, "菜园坝新村")


def test_an_officer_of_another_sub_district_cannot_change_the_facts(client, case_study, make_user):
    from estates.models import Subdistrict

    district = case_study.project.estate.community.subdistrict.district
    other = Subdistrict.objects.create(district=district, code="T500103009", name="大溪沟街道")
    staff = make_user("13900000303", Role.SUBDISTRICT_OFFICER, subdistrict=other)
    client.force_login(staff)
    edit_url = reverse("estates_renovationproject:edit", args=[case_study.project.pk])
    assert client.get(edit_url).status_code == 404
    assert client.post(edit_url, {"name": "改名"}).status_code == 404
    case_study.project.refresh_from_db()
    assert case_study.project.name != "改名"


# --- notices: the synced body -------------------------------------------------------------------


def test_a_synced_notice_is_found_by_its_body_and_its_display_period(client, site_tree, make_estate):
    import datetime

    from cms.services import notice_pages_sync
    from property_services.models import NoticeKind
    from property_services.services import notice_publish

    estate = make_estate("N1", name="通远门新村")
    today = datetime.date.today()
    notice_publish(
        kind=NoticeKind.OTHER,
        title="停水通知",
        body="因二次供水设施检修，本周六上午九时至十二时暂停供水，请各位住户提前储水。",
        estate=estate,
        display_from=today,
        display_until=today + datetime.timedelta(days=7),
    )
    notice_pages_sync()
    for query in ("二次供水", "供水设施检修", "提前储水", "水设", "通远门新村"):
        assert "停水通知" in result_titles(client, query), query
    assert re.search(r"停水通知", client.get("/notices/").content.decode())

"""公告 in the owners' portal (issue 10 item 7): the notices of the owner's own estate and city-wide
ones, with their PDFs and a way to the public site; another estate's notices are not listed."""

import datetime
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from wagtail.documents.models import Document

from accounts.models import Role
from cms.models import NoticePage
from estates.models import Owner, Ownership, Unit
from tests.cms.conftest import publish_child

pytestmark = pytest.mark.django_db


def notice(site_tree, estate, title, *, days_ago=1, pdf=None):
    today = timezone.localdate()
    return publish_child(
        site_tree["notices"],
        NoticePage(
            title=title,
            slug=f"n-{title}-{days_ago}",
            kind="other",
            estate=estate,
            display_from=today - datetime.timedelta(days=days_ago),
            display_until=today + datetime.timedelta(days=10),
            pdf=pdf,
        ),
    )


@pytest.fixture
def two_owners(make_estate, make_user):
    people = []
    for code, mobile in (("PN1", "13800007001"), ("PN2", "13800007002")):
        estate = make_estate(code, name=f"{code}小区", area=Decimal("70.00"))
        user = make_user(mobile, Role.OWNER)
        owner = Owner.objects.create(estate=estate, name=f"业主{code}", user=user)
        Ownership.objects.create(
            unit=Unit.objects.filter(building__estate=estate).first(), owner=owner, share=1, since=datetime.date(2010, 1, 1)
        )
        people.append((estate, user))
    return people


def test_owner_sees_own_estates_and_city_wide_notices_with_pdfs_not_another_estates(client, site_tree, two_owners):
    (estate_a, user_a), (estate_b, _user_b) = two_owners
    pdf = Document.objects.create(title="停水通知", file=ContentFile(b"%PDF-1.4 x", name="water.pdf"))
    mine = notice(site_tree, estate_a, "PN1停水通知", pdf=pdf)
    city = notice(site_tree, None, "全市燃气安全提示")
    theirs = notice(site_tree, estate_b, "PN2业主大会公告")
    client.force_login(user_a)

    html = client.get("/portal/notices/").content.decode()

    assert mine.title in html and city.title in html and theirs.title not in html
    assert pdf.url in html and mine.url in html
    assert site_tree["notices"].url in html  # all notices on the public site
    assert 'aria-current="page"' in html.split('data-testid="tabbar"', 1)[1].split("</nav>", 1)[0]


def test_anonymous_visitor_is_sent_to_log_in(client, site_tree):
    response = client.get("/portal/notices/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def _count(client, url) -> int:
    client.get(url)  # warm up: the session and Wagtail's cached site root paths
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_the_notices_page_runs_the_same_queries_for_1_and_25_notices(client, site_tree, two_owners, django_assert_num_queries):
    (estate_a, user_a), _ = two_owners
    client.force_login(user_a)
    notice(site_tree, estate_a, "第0条", pdf=Document.objects.create(title="d", file=ContentFile(b"%PDF", name="d.pdf")))
    one = _count(client, "/portal/notices/")
    for i in range(1, 25):
        pdf = Document.objects.create(title=f"d{i}", file=ContentFile(b"%PDF", name=f"d{i}.pdf"))
        notice(site_tree, estate_a, f"第{i}条", days_ago=i, pdf=pdf)

    with django_assert_num_queries(one):
        response = client.get("/portal/notices/")
    assert response.content.decode().count('data-testid="portal-notice"') == 20  # first page

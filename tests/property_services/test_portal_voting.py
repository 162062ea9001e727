"""Voting on the owner's phone (issue 10 item 6): each matter with its documents, a warning before
matters are left blank, and after the close the result as a table with bars against the Civil Code
Art. 278(2) thresholds (participation ≥ 2/3 of area and owners; consent > 1/2, or ≥ 3/4 for items 6-8)."""

import datetime
import re
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse
from wagtail.documents.models import Document

from property_services import services
from property_services.models import AssemblyMatter, Ballot
from property_services.portal import threshold_bars
from tests.property_services.conftest import make_owners
from tests.property_services.test_assemblies import close_voting

pytestmark = pytest.mark.django_db


def detail(client, assembly):
    return client.get(reverse("governance:assembly_detail", args=[assembly.pk])).content.decode()


def vote(client, assembly, data):
    return client.post(reverse("governance:assembly_vote", args=[assembly.pk]), data)


def test_each_matter_shows_its_document_and_link(client, called_assembly, gov_owners):
    first, second = called_assembly.matters.order_by("sort_order")
    document = Document.objects.create(title="门禁系统报价单", file=ContentFile(b"%PDF-1.4 quote", name="quote.pdf"))
    AssemblyMatter.objects.filter(pk=first.pk).update(document=document, link="https://example.org/plan")
    client.force_login(gov_owners[0].user)

    html = detail(client, called_assembly)

    docs = html.split(f'data-testid="matter-documents-{first.pk}"', 1)[1].split("</div>", 1)[0]
    assert document.url in docs and "门禁系统报价单" in docs and "https://example.org/plan" in docs
    assert f'data-testid="matter-documents-{second.pk}"' not in html


def test_leaving_a_matter_blank_warns_and_writes_nothing_until_confirmed(client, called_assembly, gov_owners):
    owner = gov_owners[0]
    first, second = called_assembly.matters.order_by("sort_order")
    client.force_login(owner.user)

    warned = vote(client, called_assembly, {f"matter_{first.pk}": "yes"})

    html = warned.content.decode()
    assert 'data-testid="blank-warning"' in html and second.title in html.split('data-testid="blank-warning"', 1)[1]
    assert re.search(rf'name="matter_{first.pk}" value="yes"[^>]*checked', html)  # the choice made is kept
    assert not Ballot.objects.filter(owner=owner).exists()

    confirmed = vote(client, called_assembly, {f"matter_{first.pk}": "yes", "confirm_blank": "1"})

    assert confirmed.status_code == 302
    assert dict(Ballot.objects.filter(owner=owner).values_list("matter_id", "choice")) == {first.pk: "yes"}


def test_no_warning_when_a_blank_matter_keeps_an_earlier_ballot(client, called_assembly, gov_owners):
    owner = gov_owners[0]
    first, second = called_assembly.matters.order_by("sort_order")
    services.assembly_vote(assembly=called_assembly, owner=owner, choices={first.pk: "yes", second.pk: "no"})
    client.force_login(owner.user)

    response = vote(client, called_assembly, {f"matter_{first.pk}": "no"})

    assert response.status_code == 302
    assert dict(Ballot.objects.filter(owner=owner).values_list("matter_id", "choice")) == {first.pk: "no", second.pk: "no"}


def test_art_278_result_table_has_bars_against_the_thresholds(client, called_assembly, gov_owners, committee_user):
    first, second = called_assembly.matters.order_by("sort_order")  # "other major" (> 1/2), raise the fund (≥ 3/4)
    for owner, choice in zip(gov_owners, ["yes", "yes", "yes", "no", "abstain"], strict=True):
        services.assembly_vote(assembly=called_assembly, owner=owner, choices={first.pk: choice, second.pk: choice})
    close_voting(called_assembly)
    services.assembly_result_publish(assembly=called_assembly, by=committee_user)
    client.force_login(gov_owners[4].user)

    html = detail(client, called_assembly)

    tables = html.split('data-testid="threshold-table"')[1:]
    assert len(tables) == 2
    first_rows = re.findall(r'data-testid="bar-row" data-met="(yes|no)"', tables[0])
    second_rows = re.findall(r'data-testid="bar-row" data-met="(yes|no)"', tables[1])
    # 100 % took part; yes 65.86 % of area and 60 % of owners: > 1/2 met, but not the 3/4 for raising the fund
    assert first_rows == ["yes", "yes", "yes", "yes"]
    assert second_rows == ["yes", "yes", "no", "no"]
    assert '<svg class="bar"' in tables[0] and 'width="65.86"' in tables[0] and 'x1="75.00"' in tables[1]
    assert "<script" not in html.split("</head>", 1)[1]


def test_art_1259_exactly_half_is_not_a_majority_and_exactly_two_thirds_takes_part(called_assembly):
    matter = called_assembly.matters.order_by("sort_order").first()  # an ordinary matter
    AssemblyMatter.objects.filter(pk=matter.pk).update(
        counted_at=datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC),
        total_area=Decimal("300.00"),
        total_owners=3,
        participating_area=Decimal("200.00"),
        participating_owners=2,
        yes_area=Decimal("100.00"),
        yes_owners=1,
    )
    matter.refresh_from_db()

    bars = threshold_bars(matter)

    assert [bar.met for bar in bars] == [True, True, False, False]
    assert [str(bar.percent) for bar in bars] == ["66.67", "66.67", "50.00", "50.00"]


def test_another_estates_owner_sees_neither_documents_nor_results(client, called_assembly, other_estate, make_user):
    outsider = make_owners(other_estate, make_user, start=3001)[0]
    client.force_login(outsider.user)

    assert client.get(reverse("governance:assembly_detail", args=[called_assembly.pk])).status_code == 404
    assert vote(client, called_assembly, {"confirm_blank": "1"}).status_code == 404

"""Owner portal /portal/governance/: see assemblies, vote, change a ballot, see the published result. Wrong persona: 404."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import override

from property_services import services
from property_services.models import Assembly, AssemblyStatus, Ballot, BallotChoice
from tests.property_services.conftest import make_owners
from tests.property_services.test_assemblies import close_voting

pytestmark = pytest.mark.django_db


def login(client, owner):
    client.force_login(owner.user)
    return client


def vote(client, assembly, choices, **extra):
    data = {f"matter_{matter.pk}": choice for matter, choice in choices.items()} | extra
    return client.post(reverse("governance:assembly_vote", args=[assembly.pk]), data)


def test_owner_sees_the_assembly_and_votes(client, called_assembly, gov_owners):
    owner = gov_owners[1]
    login(client, owner)
    page = client.get(reverse("governance:assembly_list"))
    assert called_assembly.title in page.content.decode()

    detail = client.get(reverse("governance:assembly_detail", args=[called_assembly.pk]))
    html = detail.content.decode()
    assert "更换小区门禁系统" in html and "续筹维修资金" in html and 'data-testid="vote-form"' in html

    first, second = called_assembly.matters.order_by("sort_order")
    response = vote(client, called_assembly, {first: "yes", second: "no"})
    assert response.status_code == 302
    assert dict(Ballot.objects.filter(owner=owner).values_list("matter_id", "choice")) == {first.pk: "yes", second.pk: "no"}

    # changing the ballot before the close
    vote(client, called_assembly, {second: "yes"})
    assert dict(Ballot.objects.filter(owner=owner).values_list("matter_id", "choice")) == {first.pk: "yes", second.pk: "yes"}
    html = client.get(reverse("governance:assembly_detail", args=[called_assembly.pk])).content.decode()
    with override("zh-hans"):
        yes = str(BallotChoice.YES.label)
    assert f'data-testid="my-ballot-{first.pk}">{yes} ' in html
    assert f'data-testid="my-ballot-{second.pk}">{yes} ' in html


def test_voting_after_the_close_is_refused_with_a_clear_message(client, called_assembly, gov_owners):
    owner = gov_owners[0]
    login(client, owner)
    matter = called_assembly.matters.first()
    vote(client, called_assembly, {matter: "yes"}, confirm_blank="1")  # the other matter left blank on purpose
    close_voting(called_assembly)
    response = vote(client, called_assembly, {matter: "no"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "投票已于" in html and "Voting closed at" in html
    assert Ballot.objects.get(owner=owner).choice == "yes"
    # no vote form once voting is closed
    assert (
        'data-testid="vote-form"'
        not in client.get(reverse("governance:assembly_detail", args=[called_assembly.pk])).content.decode()
    )


def test_owner_of_another_estate_gets_404(client, called_assembly, other_estate, make_user):
    outsider = make_owners(other_estate, make_user, start=3001)[0]
    login(client, outsider)
    assert client.get(reverse("governance:assembly_detail", args=[called_assembly.pk])).status_code == 404
    assert vote(client, called_assembly, {called_assembly.matters.first(): "yes"}).status_code == 404
    assert not Ballot.objects.exists()
    assert called_assembly.title not in client.get(reverse("governance:assembly_list")).content.decode()


def test_a_draft_assembly_is_not_shown_to_owners(client, gov_estate, gov_owners):
    from tests.property_services.conftest import make_assembly

    draft = make_assembly(gov_estate, title="草稿大会")
    login(client, gov_owners[0])
    assert client.get(reverse("governance:assembly_detail", args=[draft.pk])).status_code == 404


def test_anonymous_visitors_are_sent_to_log_in(client, called_assembly):
    response = client.get(reverse("governance:assembly_detail", args=[called_assembly.pk]))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_published_result_shows_outcome_and_the_four_percentages_but_no_one_elses_ballot(
    client, called_assembly, gov_owners, committee_user
):
    first, second = called_assembly.matters.order_by("sort_order")
    for owner, choice in zip(gov_owners, ["yes", "yes", "yes", "no", "abstain"], strict=True):
        services.assembly_vote(assembly=called_assembly, owner=owner, choices={first.pk: choice})
    close_voting(called_assembly)
    services.assembly_result_publish(assembly=called_assembly, by=committee_user)

    login(client, gov_owners[3])
    html = client.get(reverse("governance:assembly_detail", args=[called_assembly.pk])).content.decode()
    # first matter: all 5 owners took part; yes A+B+C = 161+82+83 = 326 of 495 m², 3 of 5 owners
    assert 'data-testid="participating-area">100.00%' in html
    assert 'data-testid="participating-owners">100.00%' in html
    assert 'data-testid="yes-area">65.86%' in html
    assert 'data-testid="yes-owners">60.00%' in html
    # second matter: nobody voted → participation not met → not passed
    assert 'data-testid="participating-area">0.00%' in html
    assert html.count('data-testid="outcome"') == 2
    # own ballot shown, nobody else's, and no per-owner areas
    assert f'data-testid="my-ballot-{first.pk}"' in html
    assert "业主A" not in html and "161.00" not in html


def test_portal_section_lists_my_assemblies(client, called_assembly, gov_owners):
    login(client, gov_owners[0])
    html = client.get("/portal/").content.decode()
    assert called_assembly.title in html


@pytest.mark.parametrize("rows", [10, 1000])
def test_portal_pages_run_a_fixed_number_of_queries(client, gov_estate, gov_owners, rows, django_assert_max_num_queries):
    today = timezone.localdate()
    now = timezone.now()
    assemblies = Assembly.objects.bulk_create(
        Assembly(
            estate=gov_estate,
            title=f"第{i}次业主大会",
            meeting_on=today + datetime.timedelta(days=4),
            notice_on=today - datetime.timedelta(days=16),
            voting_opens_at=now - datetime.timedelta(days=1),
            voting_closes_at=now + datetime.timedelta(days=5),
            status=AssemblyStatus.CALLED,
        )
        for i in range(rows)
    )
    from property_services.models import AssemblyMatter

    AssemblyMatter.objects.bulk_create(
        AssemblyMatter(assembly=a, sort_order=j, matter="other_major", title=f"事项{j}") for a in assemblies for j in range(2)
    )
    login(client, gov_owners[0])
    client.get(reverse("governance:assembly_list"))  # warm up the session
    with django_assert_max_num_queries(6):
        response = client.get(reverse("governance:assembly_list"))
    html = response.content.decode()
    assert html.split('data-testid="assembly-list"', 1)[1].split("</ul>", 1)[0].count("<li>") == min(rows, 20)
    with django_assert_max_num_queries(9):
        client.get(reverse("governance:assembly_detail", args=[assemblies[-1].pk]))

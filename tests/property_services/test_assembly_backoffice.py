"""Issue 10 item 10: assemblies for the committee in the back office.

"Call" and "Publish result" where the committee looks for them (list rows, the assembly's pages), for the
people who run the assembly (物业管理条例 Arts. 10, 13; Civil Code Art. 277); "Publish result" only after voting
closes (物业管理条例 Art. 14); turnout so far by area and heads against the Civil Code Art. 278 thresholds; a
draft deleted by its drafter or a committee member, a called assembly never. Through the views, by persona.
"""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role
from estates.models import Owner
from property_services import services
from property_services.models import Assembly, AssemblyMatter, AssemblyStatus
from tests.property_services.conftest import call_assembly, make_assembly, make_committee
from tests.property_services.test_assemblies import close_voting
from tests.property_services.test_backoffice import count_queries

pytestmark = pytest.mark.django_db


def url(action, assembly):
    return reverse(f"property_services_assembly:{action}", args=[assembly.pk])


def html_of(client, address):
    response = client.get(address)
    assert response.status_code == 200, address
    return response.content.decode()


def refused(response) -> bool:
    """Wagtail answers a PermissionDenied in the back office by sending the person to the dashboard."""
    return response.status_code == 403 or (response.status_code == 302 and response.url == reverse("wagtailadmin_home"))


def draft(estate, **kwargs):
    """A draft whose notice goes out today: voting opens on day 16, so it can be called now."""
    kwargs.setdefault("notice_days_ago", 0)
    kwargs.setdefault("opens_in_days", 16)
    kwargs.setdefault("closes_in_days", 19)
    return make_assembly(estate, **kwargs)


@pytest.fixture
def foreign_committee_user(make_user, other_estate):
    """A serving committee member, of another estate."""
    user = make_user("13900009011", Role.COMMITTEE_MEMBER, estate=other_estate, name="外小区委员")
    make_committee(other_estate, [Owner.objects.create(estate=other_estate, name="外小区委员", user=user)])
    return user


def test_committee_member_finds_call_on_the_list_row_and_the_assembly_page_and_calls_art_13(
    client, gov_estate, gov_owners, committee_user
):
    """物业管理条例 Art. 13: a serving member of the committee in office calls, from the list or the assembly's page."""
    assembly = draft(gov_estate)
    client.force_login(committee_user)
    button = f'data-testid="call-assembly-{assembly.pk}"'
    assert button in html_of(client, reverse("property_services_assembly:index"))
    assert button in html_of(client, url("edit", assembly))
    assert button in html_of(client, url("inspect", assembly))
    assert client.post(url("call", assembly), {"residents_committee_note": "书面通知送达和平社区居委会"}).status_code == 302
    assembly.refresh_from_db()
    assert (assembly.status, assembly.called_by) == (AssemblyStatus.CALLED, committee_user)
    # called: no second "call", and the list's title opens the assembly's page, not a form it would refuse
    listing = html_of(client, reverse("property_services_assembly:index"))
    assert button not in listing and url("inspect", assembly) in listing and url("edit", assembly) not in listing


def test_publish_is_offered_only_after_voting_closes_art_14(client, called_assembly, gov_owners, committee_user):
    """物业管理条例 Art. 14: nothing is counted while voting is open; the button appears once it has closed."""
    client.force_login(committee_user)
    button = f'data-testid="publish-result-{called_assembly.pk}"'
    index = reverse("property_services_assembly:index")
    assert button not in html_of(client, index) and button not in html_of(client, url("inspect", called_assembly))
    response = client.post(url("publish", called_assembly))
    assert response.status_code == 400 and "截止后才能计票" in response.content.decode()
    called_assembly.refresh_from_db()
    assert called_assembly.status == AssemblyStatus.CALLED

    close_voting(called_assembly)
    assert button in html_of(client, index) and button in html_of(client, url("inspect", called_assembly))
    assert client.post(url("publish", called_assembly)).status_code == 302
    called_assembly.refresh_from_db()
    assert called_assembly.status == AssemblyStatus.PUBLISHED
    assert button not in html_of(client, url("inspect", called_assembly))


def test_staff_see_no_call_or_publish_and_a_publish_post_is_refused_before_and_after_the_close(
    client, called_assembly, gov_estate, staff_user
):
    """Property staff do not run the owners' assembly (物业管理条例 Arts. 10, 13): no buttons, and a POST is refused."""
    other_draft = draft(gov_estate, title="草稿大会")
    client.force_login(staff_user)
    for page in (reverse("property_services_assembly:index"), url("inspect", called_assembly), url("inspect", other_draft)):
        html = html_of(client, page)
        assert "publish-result-" not in html and "call-assembly-" not in html
    assert refused(client.post(url("publish", called_assembly)))
    close_voting(called_assembly)
    assert "publish-result-" not in html_of(client, url("inspect", called_assembly))
    assert refused(client.post(url("publish", called_assembly)))
    with pytest.raises(ValidationError, match="业主大会表决结果由召集人公布"):
        services.assembly_result_publish(assembly=called_assembly, by=staff_user)
    called_assembly.refresh_from_db()
    assert called_assembly.status == AssemblyStatus.CALLED


def test_committee_member_of_another_estate_gets_404_everywhere(client, called_assembly, gov_estate, foreign_committee_user):
    other_draft = draft(gov_estate, title="草稿大会")
    close_voting(called_assembly)
    client.force_login(foreign_committee_user)
    for assembly in (called_assembly, other_draft):
        for action in ("inspect", "edit", "delete", "call", "publish"):
            assert client.get(url(action, assembly)).status_code == 404, action
            assert client.post(url(action, assembly)).status_code == 404, action
    listing = html_of(client, reverse("property_services_assembly:index"))
    assert called_assembly.title not in listing and "草稿大会" not in listing
    assert Assembly.objects.filter(pk=other_draft.pk).exists()
    called_assembly.refresh_from_db()
    assert called_assembly.status == AssemblyStatus.CALLED


def test_first_assembly_buttons_belong_to_the_subdistrict_officer_art_277(client, gov_estate, gov_owners, officer):
    """Civil Code Art. 277, 物业管理条例 Art. 10: without a committee in office the sub-district officer calls and
    publishes; once a committee is in office its members call, and the officer sees no "call" any more."""
    first = draft(gov_estate, title="首次业主大会", matters=[("elect_committee", "选举第一届业主委员会")])
    client.force_login(officer)
    assert f'data-testid="call-assembly-{first.pk}"' in html_of(client, url("inspect", first))
    assert client.post(url("call", first), {}).status_code == 302
    close_voting(first)
    # the committee it elected is recorded before the count: the officer who called it still publishes it
    make_committee(gov_estate, [gov_owners[0]])
    second = draft(gov_estate, title="第二次业主大会")
    listing = html_of(client, reverse("property_services_assembly:index"))
    assert f'data-testid="publish-result-{first.pk}"' in listing
    assert f'data-testid="call-assembly-{second.pk}"' not in listing
    assert client.post(url("publish", first)).status_code == 302
    first.refresh_from_db()
    assert first.status == AssemblyStatus.PUBLISHED


def test_turnout_by_area_and_heads_against_the_art_278_thresholds_while_voting_is_open(
    client, called_assembly, gov_owners, committee_user, staff_user
):
    """Civil Code Art. 278: taking part needs 2/3 of the roll's area and heads; an ordinary matter more than half
    of both among those taking part (Art. 1259: exactly half is not more than half)."""
    ordinary, special = called_assembly.matters.order_by("sort_order")
    a, b, c, d, _e = gov_owners  # A holds 80 + 81 m²; B 82, C 83, D 84, E 85: 495 m², 5 owners
    for owner, choice in ((a, "yes"), (b, "yes"), (c, "no"), (d, "abstain")):
        services.assembly_vote(assembly=called_assembly, owner=owner, choices={ordinary.pk: choice})
    for person in (committee_user, staff_user):
        client.force_login(person)
        html = html_of(client, url("inspect", called_assembly))
        panel = html.split('data-testid="assembly-turnout"', 1)[1].split("</section>", 1)[0]
        assert 'data-state="open"' in html
        first, second = panel.split('data-testid="turnout-matter"')[1:]
        # taking part: 410 / 495 m² = 82.83 %, 4 / 5 owners = 80.00 %, both at least 2/3
        assert "82.83%" in first and "410.00 / 495.00 m²" in first and "80.00%" in first and "4 / 5" in first
        # consent so far: 243 / 410 m² = 59.27 % is more than half; 2 / 4 owners = 50.00 % is not
        assert "59.27%" in first and "50.00%" in first and "2 / 4" in first
        assert [row.split('data-met="', 1)[1][:2] for row in first.split('data-testid="turnout-bar"')[1:]] == [
            "ye",
            "ye",
            "ye",
            "no",
        ]
        assert "≥ 2/3 (66.67%)" in first and "&gt; 1/2 (50.00%)" in first
        # the special matter (raising the maintenance fund): nobody yet, 3/4 needed
        assert "0.00%" in second and "≥ 3/4 (75.00%)" in second and 'data-met="yes"' not in second
    close_voting(called_assembly)
    assert 'data-state="closed"' in html_of(client, url("inspect", called_assembly))
    services.assembly_result_publish(assembly=called_assembly, by=committee_user)
    assert 'data-testid="assembly-turnout"' not in html_of(client, url("inspect", called_assembly))


def test_a_draft_is_deleted_by_its_drafter_through_the_back_office(client, gov_estate, officer, make_user):
    """Civil Code Art. 277: the sub-district officer drafts the first assembly; the drafter may delete the draft,
    another officer (neither drafter nor committee member) may not."""
    today = timezone.localdate()
    client.force_login(officer)
    data = {
        "estate": gov_estate.pk,
        "title": "误建的业主大会草稿",
        "meeting_on": (today + datetime.timedelta(days=20)).isoformat(),
        "notice_on": today.isoformat(),
        "voting_opens_at": f"{(today + datetime.timedelta(days=15)).isoformat()} 09:00",
        "voting_closes_at": f"{(today + datetime.timedelta(days=20)).isoformat()} 18:00",
        "matters-TOTAL_FORMS": "1",
        "matters-INITIAL_FORMS": "0",
        "matters-MIN_NUM_FORMS": "1",
        "matters-MAX_NUM_FORMS": "1000",
        "matters-0-matter": "elect_committee",
        "matters-0-title": "选举第一届业主委员会",
        "matters-0-ORDER": "1",
    }
    assert client.post(reverse("property_services_assembly:add"), data).status_code == 302
    assembly = Assembly.objects.get(title="误建的业主大会草稿")
    assert assembly.created_by == officer

    colleague = make_user("13900009104", Role.SUBDISTRICT_OFFICER, subdistrict=gov_estate.community.subdistrict)
    client.force_login(colleague)
    assert url("delete", assembly) not in html_of(client, url("edit", assembly))
    assert refused(client.post(url("delete", assembly)))
    assert Assembly.objects.filter(pk=assembly.pk).exists()

    client.force_login(officer)
    assert url("delete", assembly) in html_of(client, url("edit", assembly))
    assert url("delete", assembly) in html_of(client, reverse("property_services_assembly:index"))
    assert client.get(url("delete", assembly)).status_code == 200
    assert client.post(url("delete", assembly)).status_code == 302
    assert not Assembly.objects.filter(pk=assembly.pk).exists()
    assert not AssemblyMatter.objects.filter(assembly_id=assembly.pk).exists()


def test_a_committee_member_deletes_a_draft_but_a_called_assembly_is_never_deleted(
    client, gov_estate, gov_owners, committee_user, staff_user
):
    """物业管理条例 Art. 14: a called assembly has been notified to the owners; its record is kept."""
    mistaken = draft(gov_estate, title="重复的草稿")
    called = call_assembly(make_assembly(gov_estate, title="已召集的大会"), committee_user)

    client.force_login(staff_user)  # staff neither drafted it nor sit on the committee
    assert refused(client.post(url("delete", mistaken)))

    client.force_login(committee_user)
    listing = html_of(client, reverse("property_services_assembly:index"))
    assert url("delete", mistaken) in listing and url("delete", called) not in listing
    assert url("delete", called) not in html_of(client, url("inspect", called))
    response = client.post(url("delete", called), follow=True)
    assert "召集后不能删除" in response.content.decode()
    assert Assembly.objects.filter(pk=called.pk, status=AssemblyStatus.CALLED).exists()
    with pytest.raises(ValidationError, match="召集后不能删除"):
        services.assembly_delete(assembly=called, by=committee_user)

    assert client.post(url("delete", mistaken)).status_code == 302
    assert not Assembly.objects.filter(pk=mistaken.pk).exists()


def grow_assemblies(estate, n: int) -> None:
    """Assemblies in every state a row can show: drafts, open, closed (publish offered), published."""
    today = timezone.localdate()
    now = timezone.now()
    have = Assembly.objects.filter(estate=estate).count()
    states = [
        (AssemblyStatus.DRAFT, 16, 19),
        (AssemblyStatus.CALLED, -10, 1),
        (AssemblyStatus.CALLED, -10, -1),
        (AssemblyStatus.PUBLISHED, -20, -10),
    ]
    assemblies = Assembly.objects.bulk_create(
        Assembly(
            estate=estate,
            title=f"第{i}次业主大会",
            meeting_on=today + datetime.timedelta(days=20),
            notice_on=today - datetime.timedelta(days=30),
            voting_opens_at=now + datetime.timedelta(days=states[i % 4][1]),
            voting_closes_at=now + datetime.timedelta(days=states[i % 4][2]),
            status=states[i % 4][0],
        )
        for i in range(have, n)
    )
    AssemblyMatter.objects.bulk_create(
        AssemblyMatter(assembly=a, sort_order=0, matter="other_major", title="事项") for a in assemblies
    )


@pytest.mark.parametrize("persona", ["committee_user", "officer", "staff_user"])
def test_assembly_list_with_its_buttons_runs_a_fixed_number_of_queries(client, gov_estate, persona, request):
    user = request.getfixturevalue(persona)
    client.force_login(user)
    index = reverse("property_services_assembly:index")
    grow_assemblies(gov_estate, 8)
    client.get(index)
    small = count_queries(client, index)
    html = client.get(index).content.decode()
    if persona == "committee_user":
        assert "call-assembly-" in html and "publish-result-" in html
    grow_assemblies(gov_estate, 60)
    assert count_queries(client, index) == small

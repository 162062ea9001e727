"""Owners' committee: terms, filing within 30 days, the committee role for members."""

import datetime

import pytest
from django.core.exceptions import ValidationError

from accounts.models import Role
from estates.models import RoleAssignment
from property_services import services
from property_services.models import CommitteeMember, OwnersCommittee

pytestmark = pytest.mark.django_db

D = datetime.date


ELECTED = D(2026, 3, 1)


def committee(estate, *, elected=ELECTED, filed=None):
    return OwnersCommittee(
        estate=estate, elected_on=elected, term_ends_on=D(2031, 2, 28), filed_on=filed, filing_reference="备案〔2026〕3号"
    )


def member(owner, role="member"):
    return CommitteeMember(owner=owner, role=role, term_starts_on=D(2026, 3, 1), term_ends_on=D(2031, 2, 28))


def test_filing_within_thirty_days_of_the_election(gov_estate, gov_owners):
    """物业管理条例 Art. 16: filed within 30 days; a late filing is recorded and flagged, not refused (issue 8 rule 6)."""
    in_time = services.committee_save(
        committee=committee(gov_estate, filed=D(2026, 3, 31)), members=[member(gov_owners[0], "chair")]
    )
    assert in_time.filing_is_late() is False
    late = services.committee_save(committee=committee(gov_estate, elected=D(2026, 3, 1), filed=D(2026, 4, 1)))
    assert late.pk and late.filing_is_late() is True
    with pytest.raises(ValidationError, match="备案日期不能早于选举日期"):
        services.committee_save(committee=committee(gov_estate, filed=D(2026, 2, 1)))
    assert OwnersCommittee.objects.count() == 2


def test_members_get_the_committee_role_for_their_estate(gov_estate, gov_owners, other_estate):
    owner = gov_owners[1]
    saved = services.committee_save(
        committee=committee(gov_estate), members=[member(gov_owners[0], "chair"), member(owner, "vice_chair")]
    )
    seat = saved.members.get(owner=owner)
    assert seat.user == owner.user
    assert RoleAssignment.objects.filter(user=owner.user, role=Role.COMMITTEE_MEMBER, estate=gov_estate).exists()
    assert not RoleAssignment.objects.filter(user=owner.user, role=Role.COMMITTEE_MEMBER, estate=other_estate).exists()
    owner.user.refresh_from_db()
    assert owner.user.is_staff  # the committee works in the back office


def test_only_owners_of_the_estate_sit_on_its_committee(gov_estate, other_estate, make_user):
    from tests.property_services.conftest import make_owners

    outsider = make_owners(other_estate, make_user, prefix="1380000", start=2001)[0]
    with pytest.raises(ValidationError, match="不是本小区业主"):
        services.committee_save(committee=committee(gov_estate), members=[member(outsider)])


def test_a_committee_has_one_chair(gov_estate, gov_owners):
    with pytest.raises(ValidationError, match="只能有一名主任"):
        services.committee_save(
            committee=committee(gov_estate), members=[member(gov_owners[0], "chair"), member(gov_owners[1], "chair")]
        )

"""The demo's 存房: a flat of 洋河新村 listed on /rentals/ under an accepted sublet agreement, and an agency offer
waiting for its owner's answer in the portal."""

import re

import pytest

from accounts.models import User
from rentals.models import AgreementStatus, Entrustment, EntrustmentStatus


@pytest.mark.django_db
def test_the_demo_lists_a_flat_and_leaves_an_offer_to_answer(demo, client):
    listed = Entrustment.objects.get(owner__user__mobile="13800000002")
    waiting = Entrustment.objects.get(owner__user__mobile="13900000003")
    assert (listed.status, listed.agreement.status) == (EntrustmentStatus.ACCEPTED, AgreementStatus.ACTIVE)
    assert (waiting.status, waiting.agreement.status) == (EntrustmentStatus.OFFERED, AgreementStatus.OFFERED)
    public = client.get("/rentals/").content.decode()
    assert len(re.findall(r'data-testid="listing-\d+"', public)) == 1 and "洋河新村" in public
    client.force_login(User.objects.get(mobile="13900000003"))
    html = client.get(f"/portal/rentals/{waiting.pk}/").content.decode()
    assert 'data-testid="accept"' in html and 'data-testid="agreement-pdf"' in html

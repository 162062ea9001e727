"""Role groups come from registrations: each app names its own permissions, and the groups carry
exactly what they carried before the registry (snapshot below, taken from the hard-coded table)."""

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from accounts.models import Role
from estates import roles

# role -> its group's permissions as app_label.codename, as synced before they became registrations.
SNAPSHOT: dict[str, str] = {
    "district_officer": """
        billing.view_billingrun billing.view_invoice billing.view_ledgerentry billing.view_moneyaudit
        billing.view_payment billing.view_refund billing.view_tariff estates.add_renovationproject
        estates.change_renovationproject estates.view_building estates.view_commonasset estates.view_community
        estates.view_district estates.view_estate estates.view_owner estates.view_ownership
        estates.view_renovationproject estates.view_subdistrict estates.view_unit
        property_services.view_assembly property_services.view_ballot property_services.view_jointmeeting
        property_services.view_jointmeetingdecision property_services.view_managementarrangement
        property_services.view_notice property_services.view_ownerscommittee property_services.view_provider
        property_services.view_voterdesignation wagtailadmin.access_admin
    """,
    "subdistrict_officer": """
        billing.view_billingrun billing.view_invoice billing.view_ledgerentry billing.view_moneyaudit
        billing.view_payment billing.view_refund billing.view_tariff estates.add_renovationproject
        estates.change_renovationproject estates.view_building estates.view_commonasset estates.view_community
        estates.view_district estates.view_estate estates.view_owner estates.view_ownership
        estates.view_renovationproject estates.view_subdistrict estates.view_unit property_services.add_assembly
        property_services.add_ballot property_services.add_jointmeeting
        property_services.add_managementarrangement property_services.add_notice
        property_services.add_ownerscommittee property_services.add_provider property_services.change_assembly
        property_services.change_ballot property_services.change_jointmeeting
        property_services.change_jointmeetingdecision property_services.change_managementarrangement
        property_services.change_notice property_services.change_ownerscommittee
        property_services.change_provider property_services.view_assembly property_services.view_ballot
        property_services.view_jointmeeting property_services.view_jointmeetingdecision
        property_services.view_managementarrangement property_services.view_notice
        property_services.view_ownerscommittee property_services.view_provider
        property_services.view_voterdesignation wagtailadmin.access_admin
    """,
    "estate_staff": """
        billing.add_billingrun billing.add_payment billing.add_refund billing.change_invoice
        billing.view_billingrun billing.view_invoice billing.view_ledgerentry billing.view_moneyaudit
        billing.view_payment billing.view_refund billing.view_tariff estates.add_building
        estates.add_commonasset estates.add_owner estates.add_ownership estates.add_unit estates.change_building
        estates.change_commonasset estates.change_estate estates.change_owner estates.change_ownership
        estates.change_unit estates.view_building estates.view_commonasset estates.view_community
        estates.view_district estates.view_estate estates.view_owner estates.view_ownership
        estates.view_renovationproject estates.view_subdistrict estates.view_unit property_services.add_ballot
        property_services.add_jointmeeting property_services.add_voterdesignation
        property_services.change_ballot property_services.change_jointmeeting
        property_services.change_jointmeetingdecision property_services.change_voterdesignation
        property_services.delete_voterdesignation property_services.view_assembly property_services.view_ballot
        property_services.view_jointmeeting property_services.view_jointmeetingdecision
        property_services.view_managementarrangement property_services.view_notice
        property_services.view_ownerscommittee property_services.view_provider
        property_services.view_voterdesignation wagtailadmin.access_admin
    """,
    "committee_member": """
        estates.view_building estates.view_commonasset estates.view_community estates.view_district
        estates.view_estate estates.view_owner estates.view_ownership estates.view_renovationproject
        estates.view_subdistrict estates.view_unit property_services.add_assembly property_services.add_ballot
        property_services.add_jointmeeting property_services.add_managementarrangement
        property_services.add_ownerscommittee property_services.add_provider
        property_services.add_voterdesignation property_services.change_assembly property_services.change_ballot
        property_services.change_jointmeeting property_services.change_jointmeetingdecision
        property_services.change_managementarrangement property_services.change_ownerscommittee
        property_services.change_provider property_services.change_voterdesignation
        property_services.delete_voterdesignation property_services.view_assembly property_services.view_ballot
        property_services.view_jointmeeting property_services.view_jointmeetingdecision
        property_services.view_managementarrangement property_services.view_notice
        property_services.view_ownerscommittee property_services.view_provider
        property_services.view_voterdesignation wagtailadmin.access_admin
    """,
    "cms_editor": """
        cms.change_sitesettings wagtailadmin.access_admin wagtaildocs.add_document wagtaildocs.change_document
        wagtailimages.add_image wagtailimages.change_image
    """,
}


def _group_permissions(role: str) -> set[str]:
    return {
        f"{p.content_type.app_label}.{p.codename}"
        for p in Group.objects.get(name=role).permissions.select_related("content_type")
    }


# Permissions granted since the snapshot, by the issue that added them.
ADDED_SINCE: dict[str, str] = {
    # Issue 12 (payees): staff record their estates' payees and name them for each kind of money;
    # officers look at payees, their periods and the transfers to them. Issue 13: staff keep the car
    # park's visitor tariff and gate key, spaces, permits, leases and public-income costs, and draft
    # statements; the committee (or the sub-district office without one) approves and publishes them.
    # Staff also record a statement's allocation and set the estate's disclosure period; the committee and
    # the sub-district office see allocations.
    # Staff and the committee publish the fund's uses; staff answer owners' requests to inspect records.
    # Issue 14: staff handle work orders, keep their categories, contractors and registered residents; officers and
    # the committee see work orders and categories. Resident surveys: staff and officers draft, open and close
    # them; the committee sees them. Dashboards: officers open their area's dashboard.
    # Issue 15 (存房): staff survey entrusted flats, offer and record agreements, and keep the listings; they review
    # rental applications; they read owners' statements and record the sublet payouts as paid; they see a lease's
    # rent and deposit, send rent reminders, record the hand-back and settle and return the deposit; they draw up,
    # sign, file, renew and end leases.
    "district_officer": "billing.view_payee billing.view_payeeassignment billing.view_transfer property_services.view_workorder property_services.view_workordercategory property_services.view_survey property_services.add_survey property_services.change_survey estates.view_area_dashboard",
    "subdistrict_officer": """
        billing.view_payee billing.view_payeeassignment billing.view_transfer
        property_services.view_publicincomestatement property_services.change_publicincomestatement
        property_services.view_publicincomecost property_services.view_publicincomeallocation
        property_services.view_maintenancefunduse property_services.add_maintenancefunduse
        property_services.publish_maintenancefunduse
        property_services.view_workorder property_services.view_workordercategory
        property_services.view_survey property_services.add_survey property_services.change_survey
        estates.view_area_dashboard
    """,
    "committee_member": """
        property_services.view_publicincomestatement property_services.change_publicincomestatement
        property_services.view_publicincomecost property_services.view_publicincomeallocation
        property_services.view_maintenancefunduse property_services.add_maintenancefunduse
        property_services.publish_maintenancefunduse
        property_services.view_workorder property_services.view_workordercategory
        property_services.view_survey
    """,
    "estate_staff": """
        billing.view_payee billing.view_payeeassignment billing.view_transfer
        billing.add_payee billing.change_payee billing.add_payeeassignment
        property_services.view_parkingrate property_services.add_parkingrate property_services.change_parkingrate
        property_services.view_parkingstay property_services.view_gatekey property_services.change_gatekey
        property_services.view_parkingspace property_services.add_parkingspace property_services.change_parkingspace
        property_services.view_parkingpermit property_services.add_parkingpermit
        property_services.view_parkingwaitlistentry
        property_services.view_commonpartlease property_services.add_commonpartlease
        property_services.view_publicincomecost property_services.add_publicincomecost
        property_services.view_publicincomestatement property_services.add_publicincomestatement
        property_services.view_maintenancefunduse property_services.add_maintenancefunduse
        property_services.view_publicincomeallocation property_services.add_publicincomeallocation
        property_services.view_estatesettings property_services.add_estatesettings
        property_services.change_estatesettings
        property_services.publish_maintenancefunduse
        property_services.view_inspectionrequest property_services.change_inspectionrequest
        property_services.view_workorder property_services.add_workorder property_services.change_workorder
        property_services.view_workordercategory property_services.add_workordercategory
        property_services.change_workordercategory property_services.view_contractor property_services.add_contractor
        property_services.change_contractor property_services.view_unitresident property_services.add_unitresident
        property_services.change_unitresident
        property_services.view_survey property_services.add_survey property_services.change_survey
        rentals.view_entrustment rentals.change_entrustment rentals.view_entrustmentagreement
        rentals.add_entrustmentagreement rentals.change_entrustmentagreement
        rentals.view_listing rentals.add_listing rentals.change_listing
        rentals.view_rentalapplication rentals.change_rentalapplication
        rentals.view_ownerstatement rentals.view_ownerpayout rentals.change_ownerpayout
        rentals.view_rentreminder rentals.add_rentreminder rentals.view_handback rentals.add_handback
        rentals.view_depositsettlement rentals.add_depositsettlement rentals.change_depositsettlement
        rentals.view_lease rentals.add_lease rentals.change_lease
    """,
}


def _snapshot(role: str) -> set[str]:
    return set(SNAPSHOT[role].split()) | set(ADDED_SINCE.get(role, "").split())


@pytest.mark.django_db
@pytest.mark.parametrize("role", sorted(SNAPSHOT))
def test_each_role_group_carries_the_same_permissions_as_before(role):
    roles.sync_role_groups()
    assert _group_permissions(role) == _snapshot(role)


@pytest.mark.django_db
def test_the_platform_administrator_has_every_permission():
    roles.sync_role_groups()
    assert Group.objects.get(name=Role.PLATFORM_ADMIN).permissions.count() == Permission.objects.count()


@pytest.mark.django_db
def test_the_groups_after_migrate_match_a_fresh_sync():
    """post_migrate built the test database's groups; syncing again changes nothing."""
    before = {role: _group_permissions(role) for role in SNAPSHOT}
    roles.sync_role_groups()
    assert {role: _group_permissions(role) for role in SNAPSHOT} == before == {role: _snapshot(role) for role in SNAPSHOT}


@pytest.fixture
def registry(monkeypatch):
    """The registry, restored after the test."""
    saved = {role: perms if perms == roles.ALL else dict(perms) for role, perms in roles._REGISTRY.items()}
    monkeypatch.setattr(roles, "_REGISTRY", saved)
    return saved


@pytest.mark.parametrize(
    "permission",
    [("billing", "approve_everything"), ("biling", "view_invoice"), ("estates", "view_estates")],
    ids=["unknown codename", "unknown app", "typo in the model"],
)
def test_a_registration_naming_a_missing_permission_fails_the_system_check(registry, permission):
    assert roles.check_role_permissions() == []
    roles.register_role_permissions(Role.ESTATE_STAFF, [permission])
    errors = roles.check_role_permissions()
    assert [e.id for e in errors] == ["estates.E001"]
    assert f"{permission[0]}.{permission[1]}" in errors[0].msg
    with pytest.raises(SystemCheckError, match="estates.E001"):
        call_command("check")


@pytest.mark.django_db
def test_syncing_with_a_permission_no_model_declares_raises_and_changes_no_group(registry):
    roles.sync_role_groups()
    before = {role: _group_permissions(role) for role in SNAPSHOT}
    roles.register_role_permissions(Role.COMMITTEE_MEMBER, [("estates", "view_district")])
    roles.register_role_permissions(Role.CMS_EDITOR, [("cms", "publish_everything")])
    with pytest.raises(ImproperlyConfigured, match="cms.publish_everything"):
        roles.sync_role_groups()
    assert {role: _group_permissions(role) for role in SNAPSHOT} == before


def test_meta_permissions_count_as_declared(registry):
    """wagtailadmin.access_admin is a Meta permission (no default ones on its model)."""
    assert ("wagtailadmin", "access_admin") == roles.ACCESS_ADMIN
    assert "access_admin" in roles._model_permissions("wagtailadmin")


def test_estates_names_no_higher_app():
    source = open(roles.__file__, encoding="utf-8").read()
    for higher in ("billing", "property_services", "cms", "rentals"):
        assert f'"{higher}"' not in source

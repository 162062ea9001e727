"""Which Django permissions each role's group carries. Applied after every migrate (idempotent)."""

from accounts.models import Role

INVENTORY = [
    "district",
    "subdistrict",
    "community",
    "estate",
    "building",
    "unit",
    "owner",
    "ownership",
    "commonasset",
    "renovationproject",
]

# (app_label, codename) pairs, or "*" for everything.
ROLE_PERMISSIONS: dict[str, list[tuple[str, str]] | str] = {
    Role.PLATFORM_ADMIN: "*",
    Role.DISTRICT_OFFICER: [("estates", f"view_{m}") for m in INVENTORY]
    + [("estates", "change_renovationproject"), ("estates", "add_renovationproject")],
    Role.SUBDISTRICT_OFFICER: [("estates", f"view_{m}") for m in INVENTORY]
    + [("estates", "change_renovationproject"), ("estates", "add_renovationproject")],
    Role.ESTATE_STAFF: [("estates", f"view_{m}") for m in INVENTORY]
    + [
        ("estates", f"{action}_{m}")
        for m in ("building", "unit", "owner", "ownership", "commonasset")
        for action in ("add", "change")
    ]
    + [("estates", "change_estate")],
    Role.COMMITTEE_MEMBER: [("estates", f"view_{m}") for m in INVENTORY],
    Role.CMS_EDITOR: [
        ("wagtailimages", "add_image"),
        ("wagtailimages", "change_image"),
        ("wagtaildocs", "add_document"),
        ("wagtaildocs", "change_document"),
        # Public site: contact details and footer (page permissions are per page: cms.services).
        ("cms", "change_sitesettings"),
    ],
}
# Billing core: staff run billing, record offline payments and refunds, void/write off bills
# (change_invoice); officers only look.
BILLING_VIEW = [
    ("billing", f"view_{m}") for m in ("billingrun", "invoice", "payment", "refund", "tariff", "ledgerentry", "moneyaudit")
]
ROLE_PERMISSIONS[Role.ESTATE_STAFF] += BILLING_VIEW + [
    ("billing", "add_billingrun"),
    ("billing", "add_payment"),
    ("billing", "add_refund"),
    ("billing", "change_invoice"),
]
ROLE_PERMISSIONS[Role.DISTRICT_OFFICER] += BILLING_VIEW
ROLE_PERMISSIONS[Role.SUBDISTRICT_OFFICER] += BILLING_VIEW
# Property services: officers oversee arrangements, committees (filing) and joint meetings; the
# committee calls assemblies and hires providers; staff record paper ballots and meeting decisions.
PROPERTY_SERVICES_MODELS = [
    "provider",
    "managementarrangement",
    "ownerscommittee",
    "assembly",
    "ballot",
    "jointmeeting",
    "jointmeetingdecision",
    "notice",
]


def _ps(*actions_models: str) -> list[tuple[str, str]]:
    return [("property_services", codename) for codename in actions_models]


PS_VIEW = _ps(*(f"view_{m}" for m in PROPERTY_SERVICES_MODELS))
ROLE_PERMISSIONS[Role.DISTRICT_OFFICER] += PS_VIEW
ROLE_PERMISSIONS[Role.SUBDISTRICT_OFFICER] += PS_VIEW + _ps(
    *(
        f"{a}_{m}"
        for m in ("provider", "managementarrangement", "ownerscommittee", "jointmeeting", "notice")
        for a in ("add", "change")
    ),
    "change_jointmeetingdecision",
)
# Civil Code Art. 277, 物业管理条例 Art. 10: an estate without a committee holds its first assembly under the
# sub-district office, whose officers call and run it (services.assembly_caller_check says when).
ROLE_PERMISSIONS[Role.SUBDISTRICT_OFFICER] += _ps("add_assembly", "change_assembly", "add_ballot", "change_ballot")
ROLE_PERMISSIONS[Role.ESTATE_STAFF] += PS_VIEW + _ps(
    "add_ballot", "change_ballot", "add_jointmeeting", "change_jointmeeting", "change_jointmeetingdecision"
)
ROLE_PERMISSIONS[Role.COMMITTEE_MEMBER] += PS_VIEW + _ps(
    *(
        f"{a}_{m}"
        for m in ("provider", "managementarrangement", "ownerscommittee", "assembly", "ballot", "jointmeeting")
        for a in ("add", "change")
    ),
    "change_jointmeetingdecision",
)
# Co-owners' designated voters (Civil Code Arts. 297-301): staff and the committee keep the voter roll complete.
VOTER_DESIGNATION = _ps(*(f"{a}_voterdesignation" for a in ("view", "add", "change", "delete")))
ROLE_PERMISSIONS[Role.ESTATE_STAFF] += VOTER_DESIGNATION
ROLE_PERMISSIONS[Role.COMMITTEE_MEMBER] += VOTER_DESIGNATION
ROLE_PERMISSIONS[Role.DISTRICT_OFFICER] += _ps("view_voterdesignation")
ROLE_PERMISSIONS[Role.SUBDISTRICT_OFFICER] += _ps("view_voterdesignation")
BACK_OFFICE = {
    Role.PLATFORM_ADMIN,
    Role.DISTRICT_OFFICER,
    Role.SUBDISTRICT_OFFICER,
    Role.ESTATE_STAFF,
    Role.COMMITTEE_MEMBER,
    Role.CMS_EDITOR,
}


def sync_role_groups(app_config=None, **kwargs) -> None:
    """Give each role's group its permissions. As a post_migrate receiver it runs once, after the
    last app's signal, when every app's permissions exist."""
    from django.apps import apps
    from django.contrib.auth.models import Group, Permission

    if app_config is not None and app_config is not list(apps.get_app_configs())[-1]:
        return

    for role, perms in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role)
        if perms == "*":
            wanted = list(Permission.objects.all())
        else:
            wanted = [
                p
                for p in Permission.objects.filter(codename__in=[c for _, c in perms]).select_related("content_type")
                if (p.content_type.app_label, p.codename) in set(perms)
            ]
        if role in BACK_OFFICE:
            wanted += list(Permission.objects.filter(content_type__app_label="wagtailadmin", codename="access_admin"))
        group.permissions.set(wanted)

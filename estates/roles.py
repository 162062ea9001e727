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
    ],
}
BACK_OFFICE = {
    Role.PLATFORM_ADMIN,
    Role.DISTRICT_OFFICER,
    Role.SUBDISTRICT_OFFICER,
    Role.ESTATE_STAFF,
    Role.COMMITTEE_MEMBER,
    Role.CMS_EDITOR,
}


def sync_role_groups(**kwargs) -> None:
    from django.contrib.auth.models import Group, Permission

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

"""Which Django permissions each role's group carries: a registry that apps add to.

Estates registers the inventory's permissions here; every other app registers its own from its
``AppConfig.ready()`` with ``register_role_permissions(role, [(app_label, codename), ...])``, so estates
never names a higher app. The groups are rebuilt after every migrate (idempotent).

A registration naming an app or a permission that does not exist is an error twice over: the system
check ``estates.E001`` reports it at start-up without touching the database (every ``manage.py``
command, ``runserver`` included), and ``sync_role_groups`` refuses to build the groups
(``ImproperlyConfigured``) rather than silently leave a permission out.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.apps import apps
from django.core import checks
from django.core.exceptions import ImproperlyConfigured

from accounts.models import Role

ALL = "*"  # every permission there is (the platform administrator)

# Roles that work in the back office: their groups also get Wagtail's access_admin.
BACK_OFFICE = {
    Role.PLATFORM_ADMIN,
    Role.DISTRICT_OFFICER,
    Role.SUBDISTRICT_OFFICER,
    Role.ESTATE_STAFF,
    Role.COMMITTEE_MEMBER,
    Role.CMS_EDITOR,
}
ACCESS_ADMIN = ("wagtailadmin", "access_admin")

Permission = tuple[str, str]  # (app_label, codename)

# role -> permissions, in registration order; ALL for the platform administrator.
_REGISTRY: dict[str, dict[Permission, None] | str] = {}


def register_role_permissions(role: str, permissions: Iterable[Permission] | str) -> None:
    """Give ``role``'s group these permissions as well (``ALL`` for every permission there is).

    Several apps may register for the same role; their permissions add up. Registering the same pair
    twice is harmless.
    """
    role = str(role)
    if permissions == ALL:
        _REGISTRY[role] = ALL
        return
    current = _REGISTRY.setdefault(role, {})
    if current == ALL:
        return
    for app_label, codename in permissions:
        current[(app_label, codename)] = None


def role_permissions() -> dict[str, list[Permission] | str]:
    """Every registered role with its permissions (``ALL`` or a list of (app_label, codename))."""
    return {role: perms if perms == ALL else list(perms) for role, perms in _REGISTRY.items()}


def registered_roles() -> list[str]:
    return list(_REGISTRY)


# --- the inventory's own permissions ---------------------------------------------------------------

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
INVENTORY_VIEW = [("estates", f"view_{m}") for m in INVENTORY]
# Officers follow renovation projects; staff keep their estate's register up to date.
PROJECTS_EDIT = [("estates", "change_renovationproject"), ("estates", "add_renovationproject")]
REGISTER_EDIT = [
    ("estates", f"{action}_{m}")
    for m in ("building", "unit", "owner", "ownership", "commonasset")
    for action in ("add", "change")
] + [("estates", "change_estate")]

register_role_permissions(Role.PLATFORM_ADMIN, ALL)
# Officers oversee the estates of their area on its dashboard (issue 14).
AREA_DASHBOARD = [("estates", "view_area_dashboard")]
register_role_permissions(Role.DISTRICT_OFFICER, INVENTORY_VIEW + PROJECTS_EDIT + AREA_DASHBOARD)
register_role_permissions(Role.SUBDISTRICT_OFFICER, INVENTORY_VIEW + PROJECTS_EDIT + AREA_DASHBOARD)
register_role_permissions(Role.ESTATE_STAFF, INVENTORY_VIEW + REGISTER_EDIT)
register_role_permissions(Role.COMMITTEE_MEMBER, INVENTORY_VIEW)
register_role_permissions(Role.CMS_EDITOR, [])  # the site's app registers what editors do


# --- checking the registrations --------------------------------------------------------------------


def _model_permissions(app_label: str) -> set[str] | None:
    """Codenames the app's models declare (default and Meta permissions); None if no such app."""
    try:
        app_config = apps.get_app_config(app_label)
    except LookupError:
        return None
    codenames: set[str] = set()
    for model in app_config.get_models():
        opts = model._meta
        codenames.update(f"{action}_{opts.model_name}" for action in opts.default_permissions)
        codenames.update(codename for codename, _name in opts.permissions)
    return codenames


def unknown_permissions() -> list[tuple[str, Permission]]:
    """(role, permission) pairs whose app or codename does not exist in the installed models."""
    known: dict[str, set[str] | None] = {}
    missing = []
    for role, perms in _REGISTRY.items():
        if perms == ALL:
            continue
        for app_label, codename in [*perms, ACCESS_ADMIN] if role in BACK_OFFICE else perms:
            if app_label not in known:
                known[app_label] = _model_permissions(app_label)
            if known[app_label] is None or codename not in known[app_label]:
                missing.append((role, (app_label, codename)))
    return missing


@checks.register()
def check_role_permissions(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    return [
        checks.Error(
            f"Role {role!r} is given the permission {app_label}.{codename}, which no installed model declares.",
            hint="Fix the register_role_permissions() call that names it.",
            id="estates.E001",
        )
        for role, (app_label, codename) in unknown_permissions()
    ]


# --- the groups ------------------------------------------------------------------------------------


def sync_role_groups(app_config=None, using: str = "default", **kwargs) -> None:
    """Give each role's group exactly its registered permissions.

    As a post_migrate receiver it runs once, after the last app's signal. It may also be called in the
    middle of a migrate (the site's app does, for its editors), so it first makes sure every model's
    permissions exist (idempotent); a registered permission still missing then is ImproperlyConfigured.
    """
    from django.contrib.auth.management import create_permissions
    from django.contrib.auth.models import Group
    from django.contrib.auth.models import Permission as PermissionModel

    if app_config is not None and app_config is not list(apps.get_app_configs())[-1]:
        return

    for config in apps.get_app_configs():
        create_permissions(config, verbosity=0, using=using)
    rows = {(p.content_type.app_label, p.codename): p for p in PermissionModel.objects.select_related("content_type")}
    wanted: dict[str, set[Permission]] = {}
    for role, perms in role_permissions().items():
        wanted[role] = set(rows) if perms == ALL else set(perms)
        if role in BACK_OFFICE:
            wanted[role].add(ACCESS_ADMIN)
        missing = sorted(wanted[role] - set(rows))
        if missing:
            names = ", ".join(f"{a}.{c}" for a, c in missing)
            raise ImproperlyConfigured(f"Role {role!r}: no such permission in the database: {names}")
    for role, keys in wanted.items():
        group, _created = Group.objects.get_or_create(name=role)
        group.permissions.set([rows[key] for key in keys])

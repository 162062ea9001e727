"""What the site editor's group carries (registered with ``estates.roles`` from ``CmsConfig.ready``).

Page permissions are per page and set by ``cms.services.site_permissions_ensure``.
"""

from accounts.models import Role
from estates.roles import register_role_permissions


def register() -> None:
    register_role_permissions(
        Role.CMS_EDITOR,
        [
            ("wagtailimages", "add_image"),
            ("wagtailimages", "change_image"),
            ("wagtaildocs", "add_document"),
            ("wagtaildocs", "change_document"),
            # Public site: contact details and footer.
            ("cms", "change_sitesettings"),
        ],
    )

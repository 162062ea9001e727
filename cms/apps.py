from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class CmsConfig(AppConfig):
    name = "cms"
    verbose_name = _("Public site")

    def ready(self):
        # What the site editor's group carries (estates.roles builds the groups).
        from . import roles

        roles.register()

        from .services import site_setup_after_migrate

        post_migrate.connect(site_setup_after_migrate, sender=self, dispatch_uid="cms.site_setup_after_migrate")

        from estates.demo import register_demo_step

        from .demo import seed_cms_demo

        register_demo_step("cms", seed_cms_demo, after=("property_services", "billing"))

        from estates.hooks import project_facts_listener_register

        from .tasks import case_studies_search_refresh_queue

        project_facts_listener_register("cms.case_studies", case_studies_search_refresh_queue)

        self.public_figures_register()

        from .caching import public_pages_invalidation_connect

        public_pages_invalidation_connect()

    def public_figures_register(self):
        """The home page's figures: the inventory's, read by cms, then those the apps below declare
        (AppConfig.public_figures(); they cannot import cms). Fails here if one the page needs is missing."""
        from django.apps import apps

        from estates.models import Building, Estate, RenovationProject, Unit

        from . import selectors
        from .figures import app_figures_register, figures_verify, register_public_figure

        register_public_figure(
            "estates_renovated",
            label=_("estates renovated"),
            compute=selectors.estates_renovated_count,
            order=10,
            changes_with=(Estate, RenovationProject),
        )
        register_public_figure(
            "estates", label=_("estates on the platform"), compute=selectors.estates_count, order=20, changes_with=(Estate,)
        )
        register_public_figure("units", label=_("units"), compute=selectors.units_count, order=30, changes_with=(Unit,))
        register_public_figure(
            "households_with_lift_added",
            label=_("households with a lift added"),
            compute=selectors.households_with_lift_added_count,
            order=40,
            changes_with=(Building, Unit),
        )
        app_figures_register(apps.get_app_configs())
        figures_verify()

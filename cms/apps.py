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

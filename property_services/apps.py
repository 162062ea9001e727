from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class PropertyServicesConfig(AppConfig):
    name = "property_services"
    verbose_name = _("Property services")

    def ready(self):
        # The charges this app bills through billing. Income from the estate's common parts is the
        # owners' public income (Civil Code Art. 282), never the manager's fee income.
        from billing.charges import register_charge_kind

        for code, label, prefix in (
            ("parking_permit", _("Parking permit"), "PP"),
            ("parking_session", _("Hourly parking"), "PS"),
            ("shop_rent", _("Shop rent"), "SR"),
            ("ad_rent", _("Advertising spot rent"), "AR"),
            ("site_rent", _("Charging-point site or venue rent"), "ST"),
        ):
            register_charge_kind(code, label=label, account="public_income", number_prefix=prefix)
        # A paid repair inside a unit is the manager's service, billed to the unit's owner (work orders).
        register_charge_kind("repair_fee", label=_("Paid repair"), account="fee_income", number_prefix="RF")

        # What each role may do in property services (estates.roles builds the groups).
        from . import roles

        roles.register()

        # Back-office scope of providers and city-wide notices (no estate of their own).
        from .scopes import register as register_scopes

        register_scopes()

        from accounts.portal import HOME, ME, register_section

        from .portal import my_assemblies_section, property_office_section

        register_section("property_services.assemblies", my_assemblies_section, order=30)
        register_section("property_services.office", property_office_section, order=60, places=(HOME, ME))

        from .parking_portal import parking_section

        register_section("property_services.parking", parking_section, order=35)

        from .fund_portal import owners_records_section

        register_section("property_services.owners_records", owners_records_section, order=36)

        from .repairs_portal import repairs_section

        register_section("property_services.repairs", repairs_section, order=25)

        from .surveys_portal import surveys_section

        register_section("property_services.surveys", surveys_section, order=26)

        # Bills name their payee before Checkout: the manager in effect (billing cannot look it up itself).
        from billing.payees import register_manager_name

        from .portal import manager_name_of

        register_manager_name(manager_name_of)

        from estates.demo import register_demo_step

        from .demo import seed_property_services_demo

        # Before billing's: the arrangements set the demo estates' tariffs, which billing's bills use.
        register_demo_step("property_services", seed_property_services_demo, before=("billing",))

        from .demo_common_parts import seed_common_parts_demo

        # After billing's: permits and rent are bills to the owners' payee, which billing's step names.
        register_demo_step("common_parts", seed_common_parts_demo, after=("billing",), before=("cms",))

        from .demo_work_orders import seed_work_orders_demo

        # After billing's: a paid repair is billed when confirmed.
        register_demo_step("work_orders", seed_work_orders_demo, after=("common_parts",), before=("cms",))

        # The daily task that ends committee members' back-office roles with their term.
        from .tasks import schedules_ensure

        post_migrate.connect(schedules_ensure, sender=self, dispatch_uid="property_services.schedules_ensure")

    def public_figures(self):
        """The public home page's figure for public income (cms registers it: an app below cms cannot import it)."""
        from .models import PublicIncomeStatement
        from .selectors.public_income import public_income_disclosed

        return [
            {
                "key": "public_income_disclosed",
                "label": _("public income disclosed (income in published statements)"),
                "compute": public_income_disclosed,
                "order": 50,
                "money": True,
                "changes_with": (PublicIncomeStatement,),
            }
        ]

"""Back-office screens for property services (Wagtail ModelViewSets on the shared scoped base,
``estates.admin_scoping``), one module per subdomain. Saves go through services."""

from django.utils.translation import gettext_lazy as _
from wagtail.admin.viewsets.model import ModelViewSetGroup

from .arrangements import ArrangementViewSet, ProviderViewSet
from .assemblies import AssemblyViewSet, BallotViewSet, VoterDesignationViewSet
from .committee import CommitteeViewSet
from .inspection import InspectionRequestViewSet
from .meetings import DecisionViewSet, JointMeetingViewSet
from .notices import NoticeViewSet
from .parking import (
    CommonPartLeaseViewSet,
    MaintenanceFundUseViewSet,
    ParkingPermitViewSet,
    ParkingRateViewSet,
    ParkingSpaceViewSet,
    ParkingStayViewSet,
    ParkingWaitlistViewSet,
    PublicIncomeCostViewSet,
    PublicIncomeStatementViewSet,
)
from .public_income import EstateSettingsViewSet
from .surveys import SurveyViewSet
from .work_order_desk import UnitResidentViewSet
from .work_orders import ContractorViewSet, WorkOrderCategoryViewSet, WorkOrderViewSet


class PropertyServicesViewSetGroup(ModelViewSetGroup):
    menu_label = _("Property services")
    menu_icon = "group"
    menu_order = 160
    submenu_hook = "register_property_services_menu_item"
    items = (
        ProviderViewSet("property_services_provider", url_prefix="property_services/provider"),
        ArrangementViewSet("property_services_managementarrangement", url_prefix="property_services/managementarrangement"),
        CommitteeViewSet("property_services_ownerscommittee", url_prefix="property_services/ownerscommittee"),
        AssemblyViewSet("property_services_assembly", url_prefix="property_services/assembly"),
        BallotViewSet("property_services_ballot", url_prefix="property_services/ballot"),
        VoterDesignationViewSet("property_services_voterdesignation", url_prefix="property_services/voterdesignation"),
        JointMeetingViewSet("property_services_jointmeeting", url_prefix="property_services/jointmeeting"),
        DecisionViewSet("property_services_jointmeetingdecision", url_prefix="property_services/jointmeetingdecision"),
        NoticeViewSet("property_services_notice", url_prefix="property_services/notice"),
        ParkingRateViewSet("property_services_parkingrate", url_prefix="property_services/parkingrate"),
        ParkingStayViewSet("property_services_parkingstay", url_prefix="property_services/parkingstay"),
        ParkingSpaceViewSet("property_services_parkingspace", url_prefix="property_services/parkingspace"),
        ParkingPermitViewSet("property_services_parkingpermit", url_prefix="property_services/parkingpermit"),
        ParkingWaitlistViewSet("property_services_parkingwaitlistentry", url_prefix="property_services/parkingwaitlistentry"),
        CommonPartLeaseViewSet("property_services_commonpartlease", url_prefix="property_services/commonpartlease"),
        PublicIncomeCostViewSet("property_services_publicincomecost", url_prefix="property_services/publicincomecost"),
        PublicIncomeStatementViewSet(
            "property_services_publicincomestatement", url_prefix="property_services/publicincomestatement"
        ),
        MaintenanceFundUseViewSet("property_services_maintenancefunduse", url_prefix="property_services/maintenancefunduse"),
        EstateSettingsViewSet("property_services_estatesettings", url_prefix="property_services/estatesettings"),
        InspectionRequestViewSet("property_services_inspectionrequest", url_prefix="property_services/inspectionrequest"),
        WorkOrderViewSet("property_services_workorder", url_prefix="property_services/workorder"),
        WorkOrderCategoryViewSet("property_services_workordercategory", url_prefix="property_services/workordercategory"),
        ContractorViewSet("property_services_contractor", url_prefix="property_services/contractor"),
        UnitResidentViewSet("property_services_unitresident", url_prefix="property_services/unitresident"),
        SurveyViewSet("property_services_survey", url_prefix="property_services/survey"),
    )

"""What each role may do in property services (registered with ``estates.roles`` from the AppConfig).

Officers oversee arrangements, committees (filing) and joint meetings; the committee calls assemblies
and hires providers; staff record paper ballots and meeting decisions.
"""

from accounts.models import Role
from estates.roles import register_role_permissions

MODELS = [
    "provider",
    "managementarrangement",
    "ownerscommittee",
    "assembly",
    "ballot",
    "jointmeeting",
    "jointmeetingdecision",
    "notice",
]


def _ps(*codenames: str) -> list[tuple[str, str]]:
    return [("property_services", codename) for codename in codenames]


VIEW = _ps(*(f"view_{m}" for m in MODELS))
# Co-owners' designated voters (Civil Code Arts. 297-301): staff and the committee keep the voter roll complete.
VOTER_DESIGNATION = _ps(*(f"{a}_voterdesignation" for a in ("view", "add", "change", "delete")))


PARKING = _ps(
    "view_parkingrate",
    "add_parkingrate",
    "change_parkingrate",
    "view_parkingstay",
    "view_gatekey",
    "change_gatekey",
    "view_parkingspace",
    "add_parkingspace",
    "change_parkingspace",
    "view_parkingpermit",
    "add_parkingpermit",
    "view_parkingwaitlistentry",
    "view_commonpartlease",
    "add_commonpartlease",
    "view_publicincomecost",
    "add_publicincomecost",
    "view_publicincomestatement",
    "add_publicincomestatement",
    "view_maintenancefunduse",
    "add_maintenancefunduse",
    # The allocation of a statement's balance as the owners decided, and the estate's disclosure period.
    "view_publicincomeallocation",
    "add_publicincomeallocation",
    "view_estatesettings",
    "add_estatesettings",
    "change_estatesettings",
    # Civil Code Art. 943: the manager discloses the fund's use; SPC interpretation on building ownership
    # Art. 13: it answers owners' requests to inspect the records.
    "publish_maintenancefunduse",
    "view_inspectionrequest",
    "change_inspectionrequest",
)
# Work orders (报修/投诉): staff keep the categories with their time limits, the contractors and the registered
# residents, and handle the orders; officers and the committee see them.
WORK_ORDERS = _ps(
    "view_workorder",
    "add_workorder",
    "change_workorder",
    "view_workordercategory",
    "add_workordercategory",
    "change_workordercategory",
    "view_contractor",
    "add_contractor",
    "change_contractor",
    "view_unitresident",
    "add_unitresident",
    "change_unitresident",
)
WORK_ORDERS_VIEW = _ps("view_workorder", "view_workordercategory")
# Resident surveys (共谋/共评): the estate's staff and the officers of its sub-district or district draft, open
# and close them (services.surveys.survey_publisher_check); the committee sees them and their results.
SURVEYS = _ps("view_survey", "add_survey", "change_survey")
SURVEYS_VIEW = _ps("view_survey")

# The owners' committee approves and publishes the public income statement (the sub-district office where
# there is no committee: services.public_income decides who, this only opens the screen).
STATEMENTS = _ps(
    "view_publicincomestatement",
    "change_publicincomestatement",
    "view_publicincomecost",
    "view_publicincomeallocation",
    # Art. 281 para. 2: the committee applies for an emergency use of the maintenance fund.
    "view_maintenancefunduse",
    "add_maintenancefunduse",
    # Art. 281 para. 1: the fund's use is published.
    "publish_maintenancefunduse",
)


def register() -> None:
    register_role_permissions(Role.DISTRICT_OFFICER, VIEW + _ps("view_voterdesignation") + WORK_ORDERS_VIEW + SURVEYS)
    register_role_permissions(
        Role.SUBDISTRICT_OFFICER,
        VIEW
        + _ps(
            *(
                f"{a}_{m}"
                for m in ("provider", "managementarrangement", "ownerscommittee", "jointmeeting", "notice")
                for a in ("add", "change")
            ),
            "change_jointmeetingdecision",
            "view_voterdesignation",
        )
        # Civil Code Art. 277, 物业管理条例 Art. 10: an estate without a committee holds its first assembly under
        # the sub-district office, whose officers call and run it (services.assembly_caller_check says when).
        + _ps("add_assembly", "change_assembly", "add_ballot", "change_ballot")
        + STATEMENTS
        + WORK_ORDERS_VIEW
        + SURVEYS,
    )
    register_role_permissions(
        Role.ESTATE_STAFF,
        VIEW
        + _ps("add_ballot", "change_ballot", "add_jointmeeting", "change_jointmeeting", "change_jointmeetingdecision")
        + VOTER_DESIGNATION
        # The car park: the visitor tariff, the stays the gates record, the gates' key.
        + PARKING
        + WORK_ORDERS
        + SURVEYS,
    )
    register_role_permissions(
        Role.COMMITTEE_MEMBER,
        VIEW
        + _ps(
            *(
                f"{a}_{m}"
                for m in ("provider", "managementarrangement", "ownerscommittee", "assembly", "ballot", "jointmeeting")
                for a in ("add", "change")
            ),
            "change_jointmeetingdecision",
        )
        + VOTER_DESIGNATION
        + STATEMENTS
        + WORK_ORDERS_VIEW
        + SURVEYS_VIEW,
    )

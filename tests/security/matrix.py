"""The permission matrix: every URL pattern of the URLconf, who may open it, and with which object.

tests/security/test_url_matrix.py walks the URLconf (``discover``) and looks each pattern up here
(``classify``): first ``EXACT`` (by qualified URL name, else by route), then the first of ``RULES``
whose test matches. A pattern that nothing classifies fails the test with the line to add.

A matrix entry is an ``Entry``: a ``policy`` (who gets what, see ``POLICIES``) and, for URLs with
arguments, ``kwargs(world)`` — the arguments that point at estate X's / owner A's object in the shared
fixture (``world``, built in the test module). docs/security-matrix.md explains how to add one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.urls import URLPattern, URLResolver, get_resolver

# --- personas -------------------------------------------------------------------------------------

ANON = "anonymous"
OWNER_A = "owner_a"
OWNER_B = "owner_b"
TENANT = "tenant"
APPLICANT = "applicant"  # no account: holds a rental application's private link (its token)
STAFF_X = "staff_x"
STAFF_Y = "staff_y"
OFFICER_OTHER = "officer_other"  # sub-district officer of another sub-district than estate X's
COMMITTEE_OTHER = "committee_other"  # owners' committee member of another estate
EDITOR = "cms_editor"
ADMIN = "platform_admin"
PERSONAS = (ANON, OWNER_A, OWNER_B, TENANT, APPLICANT, STAFF_X, STAFF_Y, OFFICER_OTHER, COMMITTEE_OTHER, EDITOR, ADMIN)
NO_BACK_OFFICE = (ANON, OWNER_A, OWNER_B, TENANT, APPLICANT)
OTHER_SCOPE = (STAFF_Y, OFFICER_OTHER, COMMITTEE_OTHER, EDITOR)

# --- what a persona must get ----------------------------------------------------------------------

OK = "ok"  # 2xx/3xx that is not a login redirect (the object shown, a download, a documented redirect)
DENY = "deny"  # 400/403/404/405, a login redirect or Wagtail's "permission denied" redirect; never X's data
OWN_ONLY = "own_only"  # any answer but 5xx, without estate X's / owner A's private markers (their own list)
ANY = "any"  # any answer but 5xx (public pages, Wagtail's own screens for back-office roles)
SKIP = "skip"  # not requested (Wagtail's deliberate error page)

#: policy name -> persona -> expectation; a persona not named gets the policy's "*" value.
POLICIES: dict[str, dict[str, str]] = {
    # Public pages: anyone, signed in or not.
    "public": {"*": ANY},
    # A back-office record of estate X: its staff and the platform administrator see it; everyone
    # else gets 404 (other estates' staff, officers, committee members, the editor) or the login page.
    "backoffice_object": {STAFF_X: OK, ADMIN: OK, "*": DENY},
    # The same, for an action a role may lack (the object is found: not 404, but may be refused).
    "backoffice_object_action": {STAFF_X: ANY, ADMIN: ANY, "*": DENY},
    # A back-office list or form: back-office roles see only their own estates' rows.
    "backoffice_list": {**dict.fromkeys(NO_BACK_OFFICE, DENY), STAFF_X: ANY, ADMIN: ANY, "*": OWN_ONLY},
    # Wagtail's own admin screens: no admin access without a back-office role; inside, Wagtail's
    # own permissions decide (editors edit pages, only administrators manage users and groups).
    # The personas fall in classes here (an applicant is anonymous, owner B an owner like A, staff of
    # either estate and the officers alike): one of each class is asked, with Wagtail's own objects.
    "wagtail_core": {ANON: DENY, OWNER_A: DENY, TENANT: DENY, STAFF_Y: OWN_ONLY, EDITOR: OWN_ONLY, ADMIN: ANY, "*": SKIP},
    # Platform administration (users, groups, sites, workflows, personal-data log): superusers only.
    "platform_admin_only": {ADMIN: ANY, "*": DENY},
    # A page of owner A's own (their receipt, their repair, their entrustment): owner A only.
    "owner_a_object": {OWNER_A: OK, "*": DENY},
    # A page of the tenant's own (their lease, its PDF, their deposit settlement): the tenant only.
    "tenant_object": {TENANT: OK, "*": DENY},
    # A form target (POST) on the tenant's own lease: the tenant may reach it; everyone else is refused.
    "tenant_action": {TENANT: ANY, "*": DENY},
    # Wagtail's "failwhale" page raises on purpose for back-office users: only its access is checked.
    "wagtail_error_test": {**dict.fromkeys(NO_BACK_OFFICE, DENY), "*": SKIP},
    # The area dashboard of estate X's sub-district: the platform administrator (and that
    # sub-district's officers); an officer of another sub-district gets 404.
    "area_x": {ADMIN: OK, STAFF_X: ANY, "*": DENY},
    # A record of estate X that every resident of X may see (a survey): its owners and tenant.
    "estate_x_residents_object": {OWNER_A: OK, OWNER_B: OK, TENANT: OK, "*": DENY},
    # A record of estate X that every owner of X may see (an assembly, a survey): owners A and B.
    "estate_x_owners_object": {OWNER_A: OK, OWNER_B: OK, "*": DENY},
    # A portal list: everyone signed in sees their own; anonymous goes to the login page.
    "portal_list": {ANON: DENY, APPLICANT: DENY, OWNER_A: ANY, "*": OWN_ONLY},
    # A private link (token): the holder gets it; anyone with a guessed token gets 404.
    "token": {APPLICANT: OK, "*": DENY},
    # The same with an object the link does not cover: 404 for the holder as well.
    "token_unknown_object": {APPLICANT: ANY, "*": DENY},
    # Machine endpoints (webhook, gate records): refused without the signature or key.
    "machine": {"*": DENY},
}


@dataclass(frozen=True)
class Entry:
    policy: str
    kwargs: Callable[[Any], dict] | None = None  # world -> URL arguments (estate X's / owner A's object)
    #: For "token" URLs: world -> the arguments of a guessed link (everyone but the applicant gets these).
    wrong_kwargs: Callable[[Any], dict] | None = None
    #: The object the URL is about, for "nothing changed" after refused POSTs: world -> model instance.
    subject: Callable[[Any], Any] | None = None
    post: bool = True  # also POST (empty form) as every refused persona and check nothing changed
    why: str = ""


@dataclass(frozen=True)
class Pattern:
    route: str
    name: str | None  # qualified ("namespace:name") or None
    namespace: str | None
    callback: Any
    converters: dict = field(default_factory=dict)

    @property
    def key(self) -> str:
        return self.name or self.route

    @property
    def kwarg_names(self) -> list[str]:
        return list(self.converters)


def discover() -> list[Pattern]:
    """Every URL pattern of the URLconf, with its full route and qualified name."""
    found: list[Pattern] = []

    def walk(patterns, prefix: str, namespace: str | None, converters: dict):
        for p in patterns:
            route = prefix + str(p.pattern)
            convs = {**converters, **getattr(p.pattern, "converters", {})}
            if isinstance(p, URLResolver):
                ns = ":".join(x for x in (namespace, p.namespace) if x) if p.namespace else namespace
                walk(p.url_patterns, route, ns, convs)
            elif isinstance(p, URLPattern):
                name = f"{namespace}:{p.name}" if namespace and p.name else p.name
                regex_groups = list(p.pattern.regex.groupindex)
                kw = convs if convs else dict.fromkeys(regex_groups)
                found.append(Pattern(route, name, namespace, p.callback, kw))

    walk(get_resolver().url_patterns, "", None, {})
    return found


def viewset_model(pattern: Pattern):
    """The model of a back-office ViewSet's namespace ("billing_invoice" -> billing.Invoice), else None."""
    if not pattern.namespace:
        return None
    for model in apps.get_models():
        if pattern.namespace == f"{model._meta.app_label}_{model._meta.model_name}":
            return model
    return None


OUR_APPS = ("estates", "billing", "property_services", "rentals")


def is_our_viewset(p: Pattern) -> bool:
    model = viewset_model(p)
    return model is not None and model._meta.app_label in OUR_APPS and p.route.startswith("admin/")


def _pk_of(attr: str):
    return lambda w: {"pk": getattr(w, attr).pk}


# --- exact entries: by qualified name (or route when unnamed) --------------------------------------

EXACT: dict[str, Entry] = {
    # Public site, health, language, logins.
    "healthz": Entry("public"),
    "set_language": Entry("public"),
    "language_choose": Entry("public", post=False, why="the language menu (GET): sets only the language cookie"),
    "accounts:login": Entry("public"),
    "accounts:logout": Entry("public"),
    "cms:search": Entry("public"),
    "cms:robots_txt": Entry("public"),
    "cms:favicon": Entry("public"),
    "sitemap.xml": Entry("public"),
    "wagtail_serve": Entry("public", kwargs=lambda w: {}, why="every published page is public"),
    "wagtailcore_login": Entry("public"),
    "wagtailcore_authenticate_with_password": Entry(
        "public", kwargs=lambda w: {"page_view_restriction_id": 999999, "page_id": w.home.pk}, why="unknown restriction: 404"
    ),
    "wagtailadmin_login": Entry("public"),
    "wagtailadmin_password_reset": Entry("public"),
    "wagtailadmin_password_reset_done": Entry("public"),
    "wagtailadmin_password_reset_complete": Entry("public"),
    "wagtailadmin_password_reset_confirm": Entry(
        "public", kwargs=lambda w: {"uidb64": "MQ", "token": "set-password"}, why="an invalid link says so"
    ),
    "wagtailadmin_javascript_catalog": Entry("public"),
    "wagtailadmin_sprite": Entry("public"),
    # Rentals, public side: listings and their photos are published on purpose.
    "rentals:index": Entry("public"),
    "rentals:listing": Entry("public", kwargs=_pk_of("listing")),
    "rentals:apply": Entry("public", kwargs=_pk_of("listing"), post=False, why="anyone may apply to a published listing"),
    "rentals:photo": Entry("public", kwargs=lambda w: {"pk": w.listing_photo.pk}),
    # The applicant's private link.
    **{
        f"rentals:{name}": Entry(
            "token",
            kwargs=lambda w: {"token": w.application.token},
            wrong_kwargs=lambda w: {"token": w.application.token[:-4] + "zzzz"},
            subject=lambda w: w.application,
        )
        for name in ("application", "withdraw", "application_data", "application_erase")
    },
    # Paying for a parking stay: the driver's private link (printed on the gate's ticket).
    **{
        f"parking_pay:{name}": Entry(
            "token",
            kwargs=lambda w: {"token": w.stay_token},
            wrong_kwargs=lambda w: {"token": "guessed-token-0000"},
            subject=lambda w: w.stay,
        )
        for name in ("stay", "checkout", "result", "cancel")
    },
    "parking_pay:receipt": Entry(
        "token_unknown_object",
        kwargs=lambda w: {"token": w.stay_token, "number": "NOPE-1"},
        wrong_kwargs=lambda w: {"token": "guessed-token-0000", "number": "NOPE-1"},
        why="no receipt of that number on the stay: 404 even for the holder",
    ),
    "parking_pay:estate": Entry("public", kwargs=lambda w: {"estate_code": w.x.code}, post=False),
    # Machines.
    "billing:stripe_webhook": Entry("machine", why="unsigned: 400; GET: 405"),
    "property_services:gate_records": Entry("machine", kwargs=lambda w: {"estate_code": w.x.code}),
    # Documents (Wagtail): served through the checking view, private collections need a login.
    "wagtaildocs_serve": Entry(
        "public", kwargs=lambda w: {"document_id": w.public_doc.pk, "document_filename": w.public_doc.filename}
    ),
    "wagtaildocs_authenticate_with_password": Entry("public", kwargs=lambda w: {"restriction_id": 999999}),
    # Owner A's portal.
    "portal_home": Entry("portal_list"),
    "portal_me": Entry("portal_list"),
    "portal_my_data": Entry("portal_list"),
    "portal_notices:list": Entry("portal_list"),
    "portal_billing:bills": Entry("portal_list"),
    "portal_billing:checkout": Entry("portal_list", why="POST only; a GET is refused"),
    "governance:assembly_list": Entry("portal_list"),
    "parking_portal:page": Entry("portal_list"),
    "fund_portal:page": Entry("portal_list"),
    "records_portal:page": Entry("portal_list"),
    "repairs_portal:page": Entry("portal_list"),
    "surveys_portal:page": Entry("portal_list"),
    "rentals_portal:page": Entry("portal_list"),
    "rentals_portal:entrust": Entry("portal_list", post=False),
    "portal_billing:payment_result": Entry("owner_a_object", kwargs=_pk_of("attempt"), subject=lambda w: w.attempt),
    "portal_billing:payment_cancel": Entry("owner_a_object", kwargs=_pk_of("attempt"), subject=lambda w: w.attempt),
    "portal_billing:receipt": Entry("owner_a_object", kwargs=_pk_of("receipt")),
    "portal_billing:demand_letter": Entry("owner_a_object", kwargs=_pk_of("reminder")),
    "governance:assembly_detail": Entry("estate_x_owners_object", kwargs=_pk_of("assembly")),
    "governance:assembly_vote": Entry("estate_x_owners_object", kwargs=_pk_of("assembly"), subject=lambda w: w.assembly),
    "records_portal:copy": Entry("owner_a_object", kwargs=_pk_of("inspection")),
    "repairs_portal:order": Entry("owner_a_object", kwargs=_pk_of("work_order"), subject=lambda w: w.work_order),
    "repairs_portal:photo": Entry("owner_a_object", kwargs=_pk_of("work_order_photo")),
    "surveys_portal:survey": Entry("estate_x_residents_object", kwargs=_pk_of("survey"), subject=lambda w: w.survey),
    "rentals_portal:entrustment": Entry("owner_a_object", kwargs=_pk_of("entrustment"), subject=lambda w: w.entrustment),
    "rentals_portal:agreement_pdf": Entry("owner_a_object", kwargs=_pk_of("entrustment")),
    "rentals_portal:statements": Entry("owner_a_object", kwargs=_pk_of("owner_statement_agreement")),
    "rentals_portal:statement_pdf": Entry("owner_a_object", kwargs=_pk_of("owner_statement")),
    "rentals_portal:leases": Entry("portal_list"),
    "rentals_portal:lease": Entry("tenant_object", kwargs=_pk_of("lease"), subject=lambda w: w.lease),
    "rentals_portal:lease_pdf": Entry("tenant_object", kwargs=_pk_of("lease")),
    "rentals_portal:deposit_pdf": Entry("tenant_object", kwargs=_pk_of("lease")),
    "rentals_portal:lease_notice": Entry("tenant_action", kwargs=_pk_of("lease"), subject=lambda w: w.lease),
    "rentals_lease:pdf": Entry("backoffice_object", kwargs=_pk_of("lease")),
    "accounts:login_code": Entry("public", post=False, why="the code login page; a POST sends or checks a code"),
    # Back office: our views whose argument is not the ViewSet's own model (or that are functions).
    "billing_receipt_pdf": Entry("backoffice_object", kwargs=_pk_of("receipt")),
    "billing_billingrun:progress": Entry("backoffice_object", kwargs=_pk_of("billing_run")),
    "billing_payee:onboard": Entry("backoffice_object_action", kwargs=_pk_of("payee"), subject=lambda w: w.payee),
    "billing_payee:onboarded": Entry("backoffice_object_action", kwargs=_pk_of("payee"), subject=lambda w: w.payee),
    "rentals_entrustment:photo": Entry("backoffice_object", kwargs=_pk_of("entrustment_photo")),
    "rentals_agreement:pdf": Entry("backoffice_object", kwargs=_pk_of("agreement")),
    "rentals_application:document": Entry("backoffice_object", kwargs=_pk_of("application_document")),
    "property_services_notice:pdf": Entry("backoffice_object_action", kwargs=_pk_of("notice")),
    "property_services_notice:status": Entry(
        "backoffice_object_action", kwargs=lambda w: {"pk": w.notice.pk, "to": "withdrawn"}, subject=lambda w: w.notice
    ),
    "property_services_jointmeetingdecision:status": Entry(
        "backoffice_object_action",
        kwargs=lambda w: {"pk": w.decision.pk, "to": "done"},
        subject=lambda w: w.decision,
    ),
    "property_services_workorder:photo": Entry("backoffice_object", kwargs=_pk_of("work_order_photo")),
    "property_services_publicincomecost:evidence_file": Entry("backoffice_object_action", kwargs=_pk_of("cost")),
    "property_services_publicincomestatement:act": Entry(
        "backoffice_object_action",
        kwargs=lambda w: {"pk": w.x_only(apps.get_model("property_services", "PublicIncomeStatement")).pk},
        subject=lambda w: w.x_only(apps.get_model("property_services", "PublicIncomeStatement")),
    ),
    "property_services_parkingrate:gate_key": Entry(
        "backoffice_object_action", kwargs=lambda w: {"estate_pk": w.x.pk}, subject=lambda w: w.x
    ),
    "estates_estate:dashboard": Entry("backoffice_object", kwargs=_pk_of("x")),
    "area_dashboard:index": Entry("backoffice_list"),
    "area_dashboard:area": Entry("area_x", kwargs=lambda w: {"kind": "subdistrict", "pk": w.x.community.subdistrict_id}),
    "area_dashboard:export": Entry("area_x", kwargs=lambda w: {"kind": "subdistrict", "pk": w.x.community.subdistrict_id}),
    "wagtailadmin_error_test": Entry("wagtail_error_test"),
    "inventory_import": Entry("backoffice_list", post=False),
    "inventory_export": Entry("backoffice_list"),
    "personal_data_log": Entry("platform_admin_only"),
    "wagtailadmin_home": Entry("backoffice_list", why="the dashboard: each role's own estates' figures"),
}

# --- rules: whole families ------------------------------------------------------------------------


@dataclass(frozen=True)
class Rule:
    name: str
    matches: Callable[[Pattern], bool]
    entry: Callable[[Pattern], Entry]


def _viewset_entry(p: Pattern) -> Entry:
    """Our ViewSets: an argument "pk" is the ViewSet's own model, the world's estate-X-only row of it."""
    model = viewset_model(p)
    if "pk" not in p.kwarg_names:
        return Entry("backoffice_list", post=False)
    action = p.name.rsplit(":", 1)[-1] not in ("inspect", "edit", "history", "history_results", "usage")

    def kwargs(w, model=model):
        return {"pk": w.x_only(model).pk}

    def subject(w, model=model):
        return w.x_only(model)

    return Entry("backoffice_object_action" if action else "backoffice_object", kwargs=kwargs, subject=subject)


PLATFORM_ADMIN_PREFIXES = (
    "admin/users/",
    "admin/groups/",
    "admin/sites/",
    "admin/workflows/",
    "admin/collections/",
    "admin/redirects/",
)

RULES: list[Rule] = [
    Rule(
        "our back-office ViewSets (namespace <app>_<model> under /admin/): pk = estate X's own row",
        lambda p: is_our_viewset(p) and (p.callback.__dict__.get("view_class") is not None or "pk" not in p.kwarg_names),
        _viewset_entry,
    ),
    Rule(
        "Wagtail's platform administration (users, groups, sites, workflows, collections, redirects)",
        lambda p: p.route.startswith(PLATFORM_ADMIN_PREFIXES) and not p.route.startswith("admin/workflows/task_chooser/"),
        lambda p: Entry("platform_admin_only", post=False),
    ),
    Rule(
        "Wagtail's reports (site history, locked pages, workflows, page types): no owner data of estate X",
        lambda p: p.route.startswith("admin/reports/"),
        lambda p: Entry("backoffice_list", post=False),
    ),
    Rule(
        "Wagtail's own admin screens (pages, images, documents, snippets, choosers, forms, settings, account)",
        lambda p: p.route.startswith("admin/") and not is_our_viewset(p),
        lambda p: Entry("wagtail_core", post=False),
    ),
]


def classify(p: Pattern) -> tuple[str, Entry] | None:
    """("exact" or the rule's name, its Entry), or None when nothing classifies the pattern."""
    for key in (p.name, p.route):
        if key and key in EXACT:
            return "exact", EXACT[key]
    for rule in RULES:
        if rule.matches(p):
            return rule.name, rule.entry(p)
    return None


def unlisted_message(p: Pattern) -> str:
    view = getattr(p.callback, "__module__", "?") + "." + getattr(p.callback, "__name__", "?")
    return (
        f"URL pattern {p.route!r} (name {p.name!r}, view {view}) has no entry in the permission matrix.\n"
        f"  Add it to EXACT in tests/security/matrix.py, e.g.\n"
        f'    "{p.key}": Entry("owner_a_object", kwargs=lambda w: {{{", ".join(f"{k!r}: w.<object>.pk" for k in p.kwarg_names)}}}),\n'
        f"  choosing a policy from POLICIES ({', '.join(POLICIES)}) and, for its arguments, an "
        f"object of estate X / owner A from the world fixture in tests/security/test_url_matrix.py "
        f"(see docs/security-matrix.md)."
    )

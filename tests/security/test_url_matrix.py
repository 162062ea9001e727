"""Every URL × every persona (issue 16 item 1): nobody gets another's data.

Every pattern of the URLconf is classified by tests/security/matrix.py (an exact entry or a family
rule); an unclassified pattern fails ``test_every_url_pattern_has_a_matrix_entry`` with the entry to
add. Then, family by family, every persona requests every URL with estate X's / owner A's objects:
allowed personas get the page, the others 400/403/404/405 or a login redirect and never a marker of
estate X's or owner A's private data; refused personas also POST, and nothing changes.
"""

from __future__ import annotations

from collections import defaultdict
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.core.files.base import ContentFile
from django.forms.models import model_to_dict
from django.test import Client
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from tests.conftest import shared_data
from tests.security import matrix
from tests.security.matrix import DENY, OK, OWN_ONLY, POLICIES, SKIP

pytestmark = pytest.mark.django_db

PATTERNS = matrix.discover()
LOGIN_PATHS = ("/admin/login/", "/accounts/login/")
#: Tables that a refused request may write to without changing anyone's data.
BOOKKEEPING = {
    "sessions.session",
    "axes.accesslog",
    "axes.accessattempt",
    "wagtailcore.pagelogentry",
    "wagtailcore.modellogentry",
}


def _family(p: matrix.Pattern) -> str:
    if p.namespace:
        return p.namespace
    parts = p.route.split("/")
    return "/".join(parts[:2]) if parts[0] == "admin" else parts[0] or "root"


FAMILIES: dict[str, list[matrix.Pattern]] = defaultdict(list)
for _p in PATTERNS:
    FAMILIES[_family(_p)].append(_p)


# --- the world: personas and estate X's / owner A's objects, made once per module -------------------


class World(SimpleNamespace):
    def x_only(self, model):
        """A row of ``model`` that staff of estate X see and staff of estate Y do not."""
        from estates.selectors import scope_queryset

        if model in self.extra:
            return self.extra[model]
        mine = scope_queryset(model._default_manager.all(), user=self.users[matrix.STAFF_X])
        theirs = scope_queryset(model._default_manager.all(), user=self.users[matrix.STAFF_Y])
        row = mine.exclude(pk__in=theirs.values("pk")).order_by("pk").first()
        if row is None and hasattr(model, "estate_id"):
            row = self.extra[model] = _clone_into(model, self.x)
        if row is None:
            pytest.fail(
                f"The matrix world has no row of {model._meta.label} in estate X only: add one in "
                f"tests/security/test_url_matrix.py::world (world.extra[{model.__name__}] = ...)."
            )
        return row


def _clone_into(model, estate):
    """A copy of another estate's row of ``model``, moved to ``estate`` (unique text made unique)."""
    from django.db import IntegrityError, models, transaction

    source = model._default_manager.exclude(estate=estate).order_by("pk").first()
    if source is None:
        return None
    source.pk = None
    source.id = None
    source._state.adding = True
    source.estate = estate
    for f in model._meta.concrete_fields:
        if f.unique and not f.primary_key and isinstance(f, models.CharField):
            setattr(source, f.attname, (getattr(source, f.attname) or "")[: f.max_length - 4] + "-mx")
    try:
        with transaction.atomic():
            source.save()
    except IntegrityError:
        return None
    return source


def _build_world() -> World:
    from accounts.models import Role, User
    from billing.portal import receipts_of_user
    from estates.models import Estate, Ownership, Subdistrict
    from estates.services import role_grant
    from property_services.models import (
        Assembly,
        InspectionRequest,
        JointMeetingDecision,
        MaintenanceFundUse,
        Notice,
        ParkingStay,
        PublicIncomeCost,
        PublicIncomeStatement,
        Survey,
        WorkOrder,
        WorkOrderCategory,
        WorkOrderPhoto,
    )
    from property_services.services.parking import stay_pay_token
    from rentals.models import EntrustmentPhoto, Listing, RentalApplicationDocument
    from tests.portal_pages import ensure_payment_attempt, seed_demo
    from tests.rentals.factories import agreement_row, application_row, entrustment_row, jpeg, listing_row

    seed_demo()
    x = Estate.objects.get(name="金汤街小区")
    y = Estate.objects.get(name="洋河新村")
    users = {
        matrix.ADMIN: User.objects.get(mobile="13900000000"),
        matrix.STAFF_X: User.objects.get(mobile="13900000001"),
        matrix.COMMITTEE_OTHER: User.objects.get(mobile="13900000003"),
        matrix.EDITOR: User.objects.get(mobile="13900000004"),
        matrix.OWNER_A: User.objects.get(mobile="13800000001"),
        matrix.TENANT: User.objects.get(mobile="13700000001"),
    }
    users[matrix.STAFF_Y] = User.objects.create_user("13911110001", "x-matrix-pw", name="乙区员工")
    role_grant(user=users[matrix.STAFF_Y], role=Role.ESTATE_STAFF, estate=y)
    other_sub = Subdistrict.objects.exclude(pk=x.community.subdistrict_id).filter(communities__estates=y).first()
    assert other_sub is not None, "estate Y must lie in another sub-district than estate X"
    users[matrix.OFFICER_OTHER] = User.objects.create_user("13911110002", "x-matrix-pw", name="乙街道干部")
    role_grant(user=users[matrix.OFFICER_OTHER], role=Role.SUBDISTRICT_OFFICER, subdistrict=other_sub)
    assert x.pk not in users[matrix.COMMITTEE_OTHER].role_assignments.values_list("estate", flat=True)

    owner_a = users[matrix.OWNER_A]
    unit_a = Ownership.objects.filter(owner__user=owner_a, unit__building__estate=x).select_related("unit").first().unit
    # Owner B: another flat in estate X, with a login.
    units_x = x.buildings.first().units.exclude(pk=unit_a.pk).order_by("pk")
    users[matrix.OWNER_B] = User.objects.create_user("13811110003", "x-matrix-pw", name="乙业主")
    role_grant(user=users[matrix.OWNER_B], role=Role.OWNER)
    from estates.models import Owner

    owner_b = Owner.objects.filter(estate=x, user__isnull=True).exclude(ownerships__unit=unit_a).order_by("pk").first()
    Owner.objects.filter(pk=owner_b.pk).update(user=users[matrix.OWNER_B])

    w = World(x=x, y=y, users=users, extra={})
    from wagtail.models import Page

    w.home = Page.objects.get(depth=2)

    # Owner A's money: a payment attempt, a receipt, a demand letter.
    ensure_payment_attempt(owner_a)
    from billing.models import DunningNotice, PaymentAttempt

    w.attempt = PaymentAttempt.objects.filter(user=owner_a).first()
    w.receipt = receipts_of_user(user=owner_a).order_by("pk").first()
    assert w.receipt is not None
    from billing.dunning import reminders_for_user

    reminder = DunningNotice.objects.get(pk=next(iter(reminders_for_user(user=owner_a))).pk)
    if not reminder.letter:
        reminder.letter.save("matrix-letter.pdf", ContentFile(b"%PDF-1.4 matrix"), save=True)
    w.reminder = reminder

    # Governance and surveys of estate X (every owner of X may see them).
    w.assembly = Assembly.objects.filter(estate=x).exclude(status="draft").order_by("pk").first()
    w.survey = Survey.objects.filter(estate=x).exclude(status="draft").first()
    if w.survey is None:
        w.survey = Survey.objects.create(
            estate=x, title="矩阵测评问卷", status="open", closes_on=timezone.localdate(), households=2
        )
    # Owner A's own repair, inside their flat, with a photo.
    category = WorkOrderCategory.objects.filter(estate=x).first()
    now = timezone.now()
    w.work_order = WorkOrder.objects.create(
        estate=x,
        number="BX-MATRIX-1",
        category=category,
        reporter=owner_a,
        unit=unit_a,
        description="矩阵户内漏水甲",
        status="submitted",
        response_due_at=now,
        completion_due_at=now,
    )
    w.work_order_photo = WorkOrderPhoto(order=w.work_order, content_type="image/jpeg")
    w.work_order_photo.image.save("matrix.jpg", jpeg(), save=True)
    # Owner A's request to inspect a fund use, answered with a copy.
    use = MaintenanceFundUse.objects.create(
        estate=x, title="矩阵电梯抢修", amount="100.00", used_on=timezone.localdate(), emergency_reason="电梯困人"
    )
    owner_record = Ownership.objects.get(unit=unit_a, owner__user=owner_a).owner
    w.inspection = InspectionRequest.objects.create(
        estate=x,
        owner=owner_record,
        fund_use=use,
        answer_due_on=timezone.localdate(),
        status="done",
        arranged_on=timezone.localdate(),
        place="矩阵查阅点甲",
    )
    w.inspection.copy.save("matrix-copy.pdf", ContentFile(b"%PDF-1.4 matrix"), save=True)
    w.extra[MaintenanceFundUse] = use
    w.extra[InspectionRequest] = w.inspection
    # Owner A's entrustment (存房) with a survey photo and an offered agreement.
    w.entrustment = entrustment_row(unit_a, "accepted", owner=owner_record, by=owner_a)
    w.entrustment_photo = EntrustmentPhoto(entrustment=w.entrustment, content_type="image/jpeg")
    w.entrustment_photo.image.save("matrix-room.jpg", jpeg(), save=True)
    w.agreement = agreement_row(unit_a, "offered", entrustment=w.entrustment, by=users[matrix.STAFF_X])
    # A public listing in X with a photo; an application to it (the applicant's token) with a document.
    w.listing = Listing.objects.filter(estate=x, status="published").first()
    if w.listing is None:
        unit_l = units_x[1]
        held = entrustment_row(unit_l, "accepted", owner=Ownership.objects.filter(unit=unit_l).first().owner)
        w.listing = listing_row(unit_l, agreement=agreement_row(unit_l, "active", entrustment=held))
    from rentals.selectors.listings import listing_photo_public

    w.listing_photo = next(p for p in EntrustmentPhoto.objects.order_by("pk") if listing_photo_public(pk=p.pk))
    w.application = application_row(w.listing, mobile="13711110004")
    w.application_document = RentalApplicationDocument(application=w.application, content_type="image/jpeg")
    w.application_document.file.save("matrix-id.jpg", jpeg(), save=True)
    # The tenant's lease of a flat in X (an agency agreement of owner B's flat: rent to B's payee), handed back and
    # its deposit settled; owner A's statement of an agreement in force.
    from billing.models import Payee
    from rentals.models import DepositSettlement, HandBack, OwnerStatement
    from tests.rentals.factories import agreement_row as _agreement
    from tests.rentals.factories import make_lease

    free = [u for u in units_x if not u.entrustments.exists() and not u.entrustment_agreements.exists()]
    unit_t, unit_s = free[-1], free[-2]
    payee_t = Payee.objects.create(estate=x, legal_name="矩阵租赁收款", supervised=True, supervising_bank="重庆银行")
    held_t = entrustment_row(unit_t, "accepted", owner=Ownership.objects.filter(unit=unit_t).first().owner)
    agreement_t = _agreement(unit_t, "active", entrustment=held_t, mode="agency", owner_payee=payee_t)
    w.lease = make_lease(
        unit_t,
        payee=payee_t,
        mode="agency",
        tenant_user=users[matrix.TENANT],
        tenant_mobile="13711110009",
        listing=listing_row(unit_t, "let", agreement=agreement_t),
    )
    HandBack.objects.create(lease=w.lease, handed_back_on=w.lease.start_on, recorded_by=users[matrix.STAFF_X])
    DepositSettlement.objects.create(
        lease=w.lease,
        deposit=w.lease.deposit,
        deducted=0,
        returned=w.lease.deposit,
        return_due_on=w.lease.start_on,
        settled_by=users[matrix.STAFF_X],
    )
    in_force = entrustment_row(unit_s, "accepted", owner=owner_record, by=owner_a)
    w.owner_statement_agreement = _agreement(unit_s, "active", entrustment=in_force)
    w.owner_statement = OwnerStatement.objects.create(
        estate=x, agreement=w.owner_statement_agreement, period=w.owner_statement_agreement.start_on, mode="sublet"
    )
    # Back office rows.
    from wagtail.documents.models import Document

    from billing.models import BillingRun

    w.billing_run = BillingRun.objects.filter(estate=x).order_by("pk").first()
    w.payee = w.receipt.payment.allocations.first().invoice.payee
    w.notice = Notice.objects.filter(estate=x).first()
    w.decision = JointMeetingDecision.objects.filter(meeting__estate=x).first()
    w.cost = PublicIncomeCost.objects.filter(estate=x).first()
    w.statement = PublicIncomeStatement.objects.filter(estate=x).first()
    w.stay = ParkingStay.objects.filter(estate=x).first() or _clone_into(ParkingStay, x)
    w.stay_token = stay_pay_token(w.stay) if w.stay else "none"
    w.public_doc = Document.objects.order_by("pk").first()
    # Money rows the demo has none of: a refund and a transfer of owner A's payment; a voter designation.
    from billing.models import Refund, Transfer
    from property_services.models import VoterDesignation

    payment = w.receipt.payment
    w.extra[Refund] = Refund.objects.create(payment=payment, amount="0.01", reason="矩阵退款", created_by=users[matrix.STAFF_X])
    w.extra[Transfer] = Transfer.objects.create(
        estate=x, payment=payment, payee=w.payee, destination="acct_matrix", gross=payment.amount, amount=payment.amount
    )
    w.extra[VoterDesignation] = VoterDesignation.objects.filter(unit__building__estate=x).first() or (
        VoterDesignation.objects.create(
            unit=units_x[2],
            owner=Ownership.objects.filter(unit=units_x[2]).first().owner,
            agreement_reference="矩阵委托书",
            recorded_by=users[matrix.STAFF_X],
        )
    )
    return w


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    with shared_data(django_db_blocker):
        yield _build_world()


# --- requests ---------------------------------------------------------------------------------------

DUMMY = {"int": 1, "str": "estates", "slug": "estates", "path": "x", None: "1"}


def _kwargs(p: matrix.Pattern, entry: matrix.Entry, w: World, persona: str) -> dict:
    if entry.wrong_kwargs and persona != matrix.APPLICANT:
        return entry.wrong_kwargs(w)
    if entry.kwargs:
        return entry.kwargs(w)
    return {k: DUMMY.get(type(c).__name__.replace("Converter", "").lower() if c else None, 1) for k, c in p.converters.items()}


def _url(p: matrix.Pattern, kwargs: dict) -> str | None:
    if p.name and not p.route.startswith("^") and "(?P" not in p.route:
        try:
            return reverse(p.name, kwargs=kwargs)
        except NoReverseMatch:
            pass
    route = p.route
    for k, v in kwargs.items():
        for conv in ("int", "str", "slug", "path", "uuid"):
            route = route.replace(f"<{conv}:{k}>", str(v))
        route = route.replace(f"<{k}>", str(v))
    if "<" in route or "^" in route or "(" in route:
        return None
    return "/" + route


def _clients(w: World) -> dict[str, Client]:
    clients = {}
    for persona in matrix.PERSONAS:
        client = Client(raise_request_exception=False)
        if persona in w.users:
            client.force_login(w.users[persona])
        clients[persona] = client
    return clients


def _is_login_redirect(response) -> bool:
    return response.status_code in (301, 302) and response.get("Location", "").split("?")[0].endswith(LOGIN_PATHS)


def _denied(response) -> bool:
    if response.status_code in (400, 403, 404, 405):
        return True
    if _is_login_redirect(response):
        return True
    # Wagtail answers "permission denied" inside the back office with a redirect to the dashboard.
    return response.status_code == 302 and response.get("Location", "") in ("/admin/", "/portal/")


def _body(response) -> str:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content).decode("utf-8", "replace")
    return response.content.decode("utf-8", "replace")


def _markers(w: World) -> list[str]:
    """Text only those allowed to see estate X's / owner A's private data ever get."""
    return [w.work_order.description, w.receipt.number, w.inspection.place]


def _check(persona, expected, response, markers, url) -> str | None:
    status = response.status_code
    if status >= 500:
        return f"{persona} GET {url} → {status}"
    if expected == SKIP:
        return None
    if expected == OK and ((status >= 400 and status != 405) or _is_login_redirect(response)):
        return f"{persona} GET {url} → {status} {response.get('Location', '')} (must be allowed)"
    if expected == DENY and not _denied(response):
        return f"{persona} GET {url} → {status} (must be 403/404/405 or a login redirect)"
    if expected in (DENY, OWN_ONLY) and status == 200:
        body = _body(response)
        leaked = [m for m in markers if m in body]
        if leaked:
            return f"{persona} GET {url} → 200 showing estate X / owner A's {leaked}"
    return None


def _fingerprint(subjects) -> tuple:
    """Row counts of every table of our apps, and the requested objects' values."""
    counts = tuple(
        (m._meta.label_lower, m._default_manager.count())
        for m in apps.get_models()
        if m._meta.app_label in matrix.OUR_APPS + ("accounts",) and m._meta.label_lower not in BOOKKEEPING
    )
    rows = [repr(model_to_dict(type(s)._default_manager.get(pk=s.pk))) for s in subjects]
    return counts, rows


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_family(family, world):
    """Every persona GETs every URL of the family; the refused ones also POST, and nothing changes."""
    failures: list[str] = []
    clients = _clients(world)
    markers = _markers(world)
    posts = []
    for p in FAMILIES[family]:
        found = matrix.classify(p)
        if found is None:
            continue  # reported by test_every_url_pattern_has_a_matrix_entry
        _, entry = found
        policy = POLICIES[entry.policy]
        for persona in matrix.PERSONAS:
            expected = policy.get(persona, policy["*"])
            if expected == SKIP:
                continue
            url = _url(p, _kwargs(p, entry, world, persona))
            if url is None:
                continue
            problem = _check(persona, expected, clients[persona].get(url), markers, url)
            if problem:
                failures.append(f"[{entry.policy}] {problem}")
            if expected == DENY and entry.post and entry.kwargs and p.kwarg_names:
                posts.append((persona, url, entry))
    if posts:
        subjects = {id(e): e.subject(world) for _, _, e in posts if e.subject}
        before = _fingerprint(subjects.values())
        for persona, url, entry in posts:
            response = clients[persona].post(url, {})
            if not _denied(response):
                failures.append(f"[{entry.policy}] {persona} POST {url} → {response.status_code} (must be refused)")
        if _fingerprint(subjects.values()) != before:
            failures.append(f"refused POSTs to the {family} URLs changed data")
    assert not failures, "\n".join(failures)


def test_every_url_pattern_has_a_matrix_entry():
    missing = [matrix.unlisted_message(p) for p in PATTERNS if matrix.classify(p) is None]
    assert not missing, "\n\n".join(missing)


def test_the_matrix_counts():
    """The figures of the report (docs/security-matrix.md): patterns, by exact entry and by rule, and
    how many persona × URL requests the families make."""
    by: dict[str, int] = defaultdict(int)
    for p in PATTERNS:
        found = matrix.classify(p)
        by["exact" if found and found[0] == "exact" else "rule" if found else "none"] += 1
        if found:
            policy = POLICIES[found[1].policy]
            for persona in matrix.PERSONAS:
                expected = policy.get(persona, policy["*"])
                if expected != SKIP and "^" not in p.route.replace("admin/^.*/$", ""):
                    by["gets"] += 1
                    if expected == DENY and found[1].post and found[1].kwargs and p.kwarg_names:
                        by["posts"] += 1
    print(
        f"\npatterns={len(PATTERNS)} exact={by['exact']} rule={by['rule']} none={by['none']} "
        f"GETs={by['gets']} refused POSTs={by['posts']}"
    )
    assert len(PATTERNS) > 500


# --- "Generated PDFs and uploads are never served from a guessable public path" -------------------


def _stored_files(w: World) -> dict[str, str]:
    """Storage names of the private files of the world: what /media/<name> would have served."""
    from property_services.models import PublicIncomeCost

    if not w.receipt.pdf:
        w.receipt.pdf.save("matrix-receipt.pdf", ContentFile(b"%PDF-1.4 receipt"), save=True)
    cost = w.x_only(PublicIncomeCost)
    if not cost.evidence:
        cost.evidence.save("matrix-evidence.pdf", ContentFile(b"%PDF-1.4 evidence"), save=False)
        PublicIncomeCost.objects.filter(pk=cost.pk).update(evidence=cost.evidence.name)
    return {
        "receipt PDF": w.receipt.pdf.name,
        "demand letter": w.reminder.letter.name,
        "survey photo (存房)": w.entrustment_photo.image.name,
        "application document": w.application_document.file.name,
        "work order photo": w.work_order_photo.image.name,
        "inspection copy": w.inspection.copy.name,
        "cost evidence": cost.evidence.name,
        "Wagtail document": w.public_doc.file.name,
    }


def test_uploads_and_pdfs_are_not_served_from_media_urls(world, settings):
    """With DEBUG off (production), /media/<storage name> of every kind of private file is 404, for
    anonymous visitors and for the file's own owner alike: files go out only through checking views."""
    from django.urls import Resolver404, resolve

    from config.security import serve_media

    assert settings.DEBUG is False
    clients = _clients(world)
    for kind, name in _stored_files(world).items():
        assert name, kind
        url = settings.MEDIA_URL + name
        try:
            assert resolve(url).func is not serve_media, kind
        except Resolver404:
            pass
        for persona in (matrix.ANON, matrix.OWNER_A, matrix.ADMIN):
            # A name without a suffix is first sent on to "<name>/" (APPEND_SLASH), which is not found either.
            response = clients[persona].get(url, follow=True)
            assert response.status_code == 404, f"{persona} {kind} {url}"
            assert _body(response).find("%PDF") == -1


def test_media_is_routed_only_under_debug_and_production_turns_debug_off(settings):
    """config/urls.py adds config.security.serve_media only when DEBUG is on; production settings
    set DEBUG = False whatever the environment says."""
    import ast
    import importlib
    from pathlib import Path

    import config.urls
    from config.security import serve_media

    def media_routes():
        return [p for p in config.urls.urlpatterns if getattr(p, "callback", None) is serve_media]

    try:
        settings.DEBUG = True
        importlib.reload(config.urls)
        assert len(media_routes()) == 1
        settings.DEBUG = False
        importlib.reload(config.urls)
        assert media_routes() == []
    finally:
        settings.DEBUG = False
        importlib.reload(config.urls)
    production = ast.parse(Path(config.urls.__file__).with_name("settings").joinpath("production.py").read_text())
    debug = [
        node.value.value
        for node in ast.walk(production)
        if isinstance(node, ast.Assign) and any(getattr(t, "id", "") == "DEBUG" for t in node.targets)
    ]
    assert debug == [False]


def test_wagtail_documents_go_through_the_checking_view_and_private_collections_need_a_login(world, settings):
    """WAGTAILDOCS_SERVE_METHOD = "serve_view": /documents/<id>/<name> checks the collection's privacy.
    A document in a login-only collection: anonymous → the login page; a signed-in person gets it."""
    from wagtail.models import Collection, CollectionViewRestriction

    assert settings.WAGTAILDOCS_SERVE_METHOD == "serve_view"
    doc = world.public_doc
    private = Collection.get_first_root_node().add_child(name="矩阵内部资料")
    CollectionViewRestriction.objects.create(collection=private, restriction_type=CollectionViewRestriction.LOGIN)
    doc.collection = private
    doc.save()
    url = reverse("wagtaildocs_serve", args=[doc.pk, doc.filename])
    clients = _clients(world)
    anonymous = clients[matrix.ANON].get(url)
    assert anonymous.status_code == 302 and "login" in anonymous["Location"]
    assert clients[matrix.ADMIN].get(url).status_code == 200
    assert clients[matrix.ANON].get(settings.MEDIA_URL + doc.file.name, follow=True).status_code == 404

"""JSON API for a customer's own data (ACC-7, ACC-9): the same services as the pages,
behind the same session login and CSRF check (django-ninja's SessionAuth)."""

from django.http import HttpRequest
from ninja import Body, Field, Router, Schema, Status
from ninja.errors import HttpError
from ninja.security import SessionAuth

from hippocratic.accounts import own_data, services
from hippocratic.accounts.contact import PROFILE
from hippocratic.accounts.forms import ContactForm
from hippocratic.accounts.models import AccountEvent, Customer, Service
from hippocratic.enforcement import proofs
from hippocratic.enforcement.actors import Actor
from hippocratic.money import format_money


class CustomerAuth(SessionAuth):
    """A signed-in customer; `request.auth` is their customer id. Staff logins,
    which have no customer row, are refused (they use the admin)."""

    def authenticate(self, request: HttpRequest, key):
        if request.user.is_authenticated:
            return services.customer_id(request)
        return None


router = Router(auth=CustomerAuth(), tags=["your data"])


class ServiceOut(Schema):
    code: str
    name: str
    description: str
    monthly_price_cents: int = Field(description="In the currency's minor units (cents)")
    currency: str
    monthly_price: str = Field(description='As people write it: "$15.00"')

    @staticmethod
    def resolve_monthly_price(service) -> str:
        return format_money(service.monthly_price_cents, service.currency)


class SubscriptionOut(Schema):
    id: int
    service: str
    status: str
    created_at: str
    ended_at: str | None = None


class Changed(Schema):
    changed: list[str]


class ChooseService(Schema):
    service: str  # a service's code


class Problem(Schema):
    """Why a call was refused: a sentence, or (422) the fields at fault."""

    detail: str | list[dict]


# Every answer a call may get besides success, so that the schema describes them all:
# 400 a body that is not JSON, 401 not signed in, 403 no CSRF token, 404 not found or
# not yours, 422 values the form refuses.
ERRORS = {400: Problem, 401: Problem, 403: Problem, 404: Problem, 409: Problem, 422: Problem}


@router.get("/me", response={200: dict[str, str | None], **ERRORS}, summary="Your contact details")
def me(request):
    status = services.own_customer(request.auth).status
    return services.contact_details(request.auth) | {"status": status}


@router.patch("/me", response={200: Changed, **ERRORS}, summary="Correct your contact details")
def correct(request, changes: Body[dict[str, str]]):
    """Send only the fields to change; an optional field may be set to ""."""
    current = services.contact_details(request.auth)
    unknown = set(changes) - set(current)
    if unknown:
        raise HttpError(422, f"not a field you can change: {', '.join(sorted(unknown))}")
    form = ContactForm(current | changes, model=Customer, points=PROFILE)
    if not form.is_valid():
        raise HttpError(422, "; ".join(f"{k}: {' '.join(v)}" for k, v in form.errors.items()))
    changed = services.update_profile(request.auth, form.contact_data)
    if changed:
        services.request_done(request.auth, "correction", "api",
                              "corrected: " + ", ".join(changed),
                              by=Actor.for_customer(request.auth))  # fmt: skip
    return {"changed": changed}


@router.get("/me/data", response={200: dict, **ERRORS}, summary="Everything we hold about you")
def everything(request):
    held = own_data.everything(request.auth)
    services.log_event(request.auth, AccountEvent.Kind.EXPORTED, "API")
    services.request_done(request.auth, "access", "api", "exported as JSON",
                          by=Actor.for_customer(request.auth))  # fmt: skip
    return held


@router.get("/audit/proof/{seq}", response={200: dict, **ERRORS},
            summary="That a use of your data is in the audit log: its proof")  # fmt: skip
def audit_proof(request, seq: int):
    try:
        return own_data.access_proof(request.auth, seq)
    except proofs.Damaged:  # say so: a damaged log is not "not yet"
        raise HttpError(409, "the audit log cannot prove this entry: it is damaged") from None
    except LookupError as missing:
        raise HttpError(404, str(missing)) from None


@router.get(
    "/me/subscriptions", response={200: list[SubscriptionOut], **ERRORS}, summary="Your services"
)
def subscriptions(request):
    return [
        {
            "id": r["id"], "service": r["service"], "status": r["status"],
            "created_at": r["created_at"].isoformat(),
            "ended_at": r["ended_at"].isoformat() if r["ended_at"] else None,
        }
        for r in services.subscriptions(request.auth)
    ]  # fmt: skip


@router.post(
    "/me/subscriptions",
    response={201: SubscriptionOut, 402: Problem, **ERRORS},
    summary="Choose a service (a paid one needs a card on file: 402 until there is one)",
)
def choose(request, body: ChooseService):
    service = Service.objects.filter(code=body.service, available=True).first()
    if service is None:
        raise HttpError(404, "no such service")
    try:
        s = services.subscribe(request.auth, service)
    except services.ServiceRefused as refusal:
        raise HttpError(402, str(refusal)) from None
    return Status(201, {
        "id": s.pk, "service": service.name, "status": s.status,
        "created_at": s.created_at.isoformat(),
    })  # fmt: skip


@router.post("/me/subscriptions/{subscription_id}/discontinue",
             response={200: Changed, **ERRORS}, summary="Discontinue a service")  # fmt: skip
def discontinue(request, subscription_id: int):
    if not services.discontinue(request.auth, subscription_id):
        raise HttpError(404, "no such service of yours is running")
    return {"changed": ["status"]}


catalogue = Router(tags=["services"])


@catalogue.get(
    "/", response={200: list[ServiceOut], **ERRORS}, auth=None, summary="The services on offer"
)
def offered(request):
    return list(Service.objects.filter(available=True))

"""The customer's choices and requests in the JSON API (CH-1, CH-3): the same services
as the account pages, behind the same session login and CSRF check."""

import datetime as dt

from ninja import Body, Router, Schema
from ninja.errors import HttpError

from hippocratic.accounts.api import ERRORS, CustomerAuth
from hippocratic.enforcement.actors import Actor
from hippocratic.requests import choices, ledger
from hippocratic.requests.models import Request

router = Router(auth=CustomerAuth(), tags=["your choices and requests"])
MAX_CHOICES = 100


class ChoiceOut(Schema):
    key: str
    label: str
    allowed: bool


class ChangedChoices(Schema):
    changed: list[str]


class RequestOut(Schema):
    id: int
    kind: str
    channel: str
    status: str
    received_at: dt.datetime
    due_at: dt.datetime
    done_at: dt.datetime | None = None
    outcome: str
    answer: str


@router.get("/choices", response={200: list[ChoiceOut], **ERRORS},
            summary="How your information may be used and shared")  # fmt: skip
def my_choices(request):
    now = choices.current(request.auth)
    return [ChoiceOut(key=o.key, label=o.label, allowed=now[o.key]) for o in choices.options()]


@router.patch("/choices", response={200: ChangedChoices, **ERRORS},
              summary="Change how your information may be used and shared")  # fmt: skip
def change_choices(request, wanted: Body[dict[str, bool]]):
    """Send {option key: allowed}; only the options sent change."""
    if len(wanted) > MAX_CHOICES:
        raise HttpError(422, f"at most {MAX_CHOICES} choices at once")
    me = request.auth
    try:
        changed = choices.change(
            me, {**choices.current(me), **wanted}, by=Actor.for_customer(me),
            channel=Request.Channel.API,
        )  # fmt: skip
    except ValueError as error:
        raise HttpError(422, str(error)) from None
    return {"changed": changed}


@router.get("/requests", response={200: list[RequestOut], **ERRORS},
            summary="Your requests, newest first")  # fmt: skip
def my_requests(request):
    rows = ledger.requests_for(Actor.for_customer(request.auth)).order_by("-created_at")
    return [
        RequestOut(id=r["pk"], kind=r["kind"], channel=r["channel"], status=r["status"],
                   received_at=r["created_at"], due_at=r["due_at"], done_at=r["done_at"],
                   outcome=r["outcome"], answer=r["answer"])
        for r in rows.values("pk", "kind", "channel", "status", "created_at", "due_at",
                             "done_at", "outcome", "answer")[:200]
    ]  # fmt: skip

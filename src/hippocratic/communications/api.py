"""The customer's mailbox in the JSON API (COM-1): the same services as the pages."""

from typing import get_type_hints

from django.http import HttpResponse
from ninja import Field, Query, Router, Schema
from ninja.errors import HttpError
from pydantic import create_model

from hippocratic.accounts.api import ERRORS, CustomerAuth
from hippocratic.communications import mailbox
from hippocratic.communications.models import StoredMessage

router = Router(auth=CustomerAuth(), tags=["your mail"])


# The API lists what the mailbox summarises, field for field: one definition, not two.
MessageOut = create_model(
    "MessageOut", __base__=Schema,
    **{name: (kind, ...) for name, kind in get_type_hints(mailbox.Summary).items()},
)  # fmt: skip


class OpenedOut(MessageOut):
    text: str
    blocked: bool
    too_complex: str = Field(
        description="Why the message is offered only as a download (too many parts, too "
        "deep, too many parameters); empty where `text` shows it"
    )


class PageQuery(Schema):
    before: int | None = None
    limit: int = mailbox.PAGE


def _offered():
    if not mailbox.domain():
        raise HttpError(404, "this provider keeps no mailboxes")


def _collected(me: int, message_id: int) -> mailbox.Opened:
    _offered()
    try:
        return mailbox.collect(me, message_id)
    except StoredMessage.DoesNotExist:
        raise HttpError(404, "no such message") from None


@router.get("/mailbox", response={200: list[MessageOut], **ERRORS},
            summary="Your mail, newest first")  # fmt: skip
def my_mail(request, page: Query[PageQuery]):
    _offered()
    if not 1 <= page.limit <= mailbox.MAX_PAGE:
        raise HttpError(422, f"limit is 1 to {mailbox.MAX_PAGE}")
    return [vars(m) for m in mailbox.page(request.auth, before=page.before, limit=page.limit)]


@router.get("/mailbox/{message_id}", response={200: OpenedOut, **ERRORS},
            summary="One message, read (it counts as delivered)")  # fmt: skip
def read_message(request, message_id: int):
    opened = _collected(request.auth, message_id)
    return {**vars(opened.summary), "text": opened.text, "blocked": opened.raw is None,
            "too_complex": opened.too_complex}  # fmt: skip


@router.get("/mailbox/{message_id}/eml", response={200: None, **ERRORS},
            summary="One message as it came (.eml)")  # fmt: skip
def download_message(request, message_id: int):
    opened = _collected(request.auth, message_id)
    if opened.raw is None:
        raise HttpError(403, "access to this message is blocked")
    return HttpResponse(opened.raw, content_type="message/rfc822")

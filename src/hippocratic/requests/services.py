"""What the customer, the asker and staff do with requests: confirm a mailed request,
ask a question through the online form (CH-2), write through the contact form, answer
it, close a request."""

from django.db import transaction

from hippocratic.enforcement.actors import Actor
from hippocratic.requests import choices, ledger
from hippocratic.requests.deadlines import choice_for
from hippocratic.requests.models import SUBJECT_MAX, TEXT_MAX, Request
from hippocratic.requests.signals import RequestMail, tell

INTAKE = Actor.system("requests.intake")
QUESTION_MAX = TEXT_MAX
# What an answer's outcome says: mailed where the request keeps an address, else shown
# on the asker's own page (their account's requests, or the link the form gave them).
ANSWERED_BY_MAIL = "answered by mail"
ANSWERED_ON_THE_PAGE = "answered on the asker's page"


class NotConfirmable(LookupError):
    """The link names no request waiting for confirmation (used, or never sent)."""


def waiting(request_id: int) -> dict:
    """A request waiting for its sender's confirmation: kind, choice and customer."""
    row = (
        ledger.requests_for(INTAKE).filter(pk=request_id, status=Request.Status.CONFIRMING)
        .values("pk", "kind", "choice", "customer_id", "created_at").first()
    )  # fmt: skip
    if row is None or row["customer_id"] is None:
        raise NotConfirmable("This link has been used already, or was never sent.")
    return row


def confirm(request_id: int, wanted: dict[str, bool] | None = None) -> list[str]:
    """The sender followed the link and confirmed: a choice is applied at once, as the
    customer; anything else goes to the staff queue, now known to be theirs."""
    with transaction.atomic():
        row = waiting(request_id)
        me = Actor.for_customer(row["customer_id"])
        mine = ledger.requests_for(me).filter(pk=request_id, status=Request.Status.CONFIRMING)
        mine.update(status=Request.Status.OPEN, requester=Request.Requester.CUSTOMER)
        if row["kind"] == Request.Kind.UNSUBSCRIBE:  # leaving the list by mail, confirmed
            return [ledger.act(request_id, by=me, how="by mail, confirmed by the link")]
        if row["kind"] != Request.Kind.OPT_OUT:
            return []
        return choices.change(
            row["customer_id"], wanted or {}, by=me, channel=Request.Channel.EMAIL,
            request_id=request_id,
        )  # fmt: skip


def ask(text: str, *, sender: str, customer_id: int | None) -> Request:
    """A question or concern about collection, use or disclosure (CH-2), from the
    online form: a request due by the policy's deadline, answered by staff by mail."""
    text = text.strip()
    if not text or len(text) > QUESTION_MAX:
        raise ValueError(f"a question is 1 to {QUESTION_MAX} characters")
    return _from_a_form(Request.Kind.QUESTION, "", text, sender=sender,
                        customer_id=customer_id, choice=_question_choice())  # fmt: skip


def contact(subject: str, text: str, *, sender: str, customer_id: int | None) -> Request:
    """A message from the contact form (/contact/): a request to support in the staff
    queue that keeps what was asked (sealed) and who asked, where the policy keeps a
    sender's address; a signed-in customer's runs as that customer."""
    subject, text = subject.strip(), text.strip()
    if not text or len(text) > TEXT_MAX or len(subject) > SUBJECT_MAX:
        raise ValueError(f"a message is 1 to {TEXT_MAX} characters, its subject at most "
                         f"{SUBJECT_MAX}")  # fmt: skip
    return _from_a_form(Request.Kind.SUPPORT, subject, text, sender=sender,
                        customer_id=customer_id)  # fmt: skip


def _from_a_form(kind: str, subject: str, text: str, *, sender: str, customer_id: int | None,
                 choice: str = "") -> Request:  # fmt: skip
    by = Actor.for_customer(customer_id) if customer_id else INTAKE
    sender = sender.strip().lower() if ledger.collects_email() else ""  # as mail's are
    with transaction.atomic():
        # The same message from the same sender, still open, is that request (a
        # replayed post made a request, and a mail, each time).
        asked = ledger.asked_digest(kind=kind, sender=sender, customer_id=customer_id,
                                    text=text[:TEXT_MAX])  # fmt: skip
        same = ledger.requests_for(by).filter(
            kind=kind, status=Request.Status.OPEN, customer_id=customer_id, digest=asked,
        ).first()  # fmt: skip
        if same is not None:
            # Its link is shown only to whom we know asked it (a signed-in customer, or
            # the mail that went to the sender): typing the same text is no proof of that.
            same.repeated = True
            return same
        request = ledger.open_request(
            kind=kind, channel=Request.Channel.ONLINE_FORM, by=by, customer_id=customer_id,
            sender=sender, subject=subject, text=text, choice=choice,
        )  # fmt: skip
        tell(request.pk, RequestMail.RECEIVED)
    request.repeated = False
    return request


def _question_choice() -> str:
    choice = choice_for(Request.Kind.QUESTION)
    return choice.key if choice else ""


def answer(request_id: int, text: str, *, by: Actor) -> None:
    """Staff answer a question or a message to support: kept on the request (sealed),
    mailed to the asker where it keeps their address, done."""
    text = text.strip()
    if not text:
        raise ValueError("an answer cannot be empty")
    with transaction.atomic():
        # Where the policy keeps no sender's address, none is read (the gate refuses it).
        sender = ledger.requests_for(by).filter(pk=request_id).values_list("sender", flat=True)
        mailed = ledger.collects_email() and bool(sender.first())
        outcome = ANSWERED_BY_MAIL if mailed else ANSWERED_ON_THE_PAGE
        ledger.finish(request_id, by=by, outcome=outcome, answer=text[:TEXT_MAX])
        if mailed:
            tell(request_id, RequestMail.ANSWERED)


def close(request_id: int, outcome: str, *, by: Actor, refused: bool = False) -> None:
    ledger.finish(
        request_id, by=by, outcome=outcome,
        status=Request.Status.REFUSED if refused else Request.Status.DONE,
    )  # fmt: skip

"""The one way out for customer data (DIS-1, DIS-2, DIS-3, DIS-4, DIS-5, DIS-9).

    d = record(kind=..., recipient="authorities", ground="legal_requirement",
               reference="Case 12-345", customer_ids=[7], categories=[...], by=staff_user)
    package = approve(d.pk, by=another_staff_user)   # the JSON that leaves, once

Every disclosure names a recipient and a ground from the policy; the decision engine
checks recipient x category x ground x the customer's opt-outs (Engine.decide_share).
Disclosures to authorities need a second staff member who is not the requester. What
leaves is read here (decided above, audited below: one `disclose` entry per customer,
whose categories are exactly the package's, and whose rule names the package's hash),
and the Disclosure keeps a manifest of ids and the hash, never the data itself.
"""

import datetime as dt
import hashlib
import json
from collections.abc import Callable

from django.core.exceptions import PermissionDenied
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone

from hippocratic.accounts import own_data
from hippocratic.accounts.models import Customer
from hippocratic.disclosure.models import DisclosedSubject, Disclosure, PreservationHold
from hippocratic.disclosure.signals import DISCLOSED, RECEIVED, customer_to_tell
from hippocratic.enforcement import audit
from hippocratic.enforcement.actors import Actor, staff_role
from hippocratic.enforcement.audit import Action
from hippocratic.enforcement.fields import category_of
from hippocratic.enforcement.gateway import decided_elsewhere
from hippocratic.enforcement.sharing import refused_by
from hippocratic.policy.models import RecipientKind
from hippocratic.policy.reasons import Reason
from hippocratic.policy.taxonomy import is_within
from hippocratic.provider import current_engine, current_policy
from hippocratic.purposes import Purpose
from hippocratic.registry import Registry
from hippocratic.requests import ledger
from hippocratic.requests.models import Request

MAX_SUBJECTS = 10_000
PURPOSE = "disclosure.{kind}"  # how the audit log names a disclosure's kind


# recipient kind -> function(recipient key, customer ids) -> the ids that kind may
# receive at all. Apps that know who a partner's customers are add theirs (sales:
# a referral partner's joint customers, DIS-4); the disclosure app imports none.
CUSTOMERS_OF: Registry[Callable[[str, list[int]], set[int]]] = Registry(
    "disclosure.customers_of",
    "A kind of recipient -> (recipient key, customer ids asked) -> those it may have "
    "(a referral partner's joint customers, an integration's users).",
)
# category -> function(customer ids) -> {customer id: [rows]}: data kept outside the
# customer's own row that a package may carry (hosted: business data to integration
# partners, DIS-5). Read as the package's reader, decided and audited by approve().
PACKAGE_PARTS: Registry[Callable[[list[int]], dict]] = Registry(
    "disclosure.package_parts",
    "A category another app holds -> customer ids -> what of it goes in a package "
    "(communications' contents, hosted business data).",
)


class DisclosureRefused(PermissionDenied):
    """The disclosure may not go; the message says why, in one line."""


def _actor(user) -> Actor:
    return Actor.for_user(user, staff_role(user)) if user else Actor.system("disclosure")


def recipient_named(key: str):
    found = next((r for r in current_policy().recipients if r.key == key), None)
    if found is None:
        raise DisclosureRefused(f"the policy names no recipient '{key}'")
    return found


def needs_second_approver(recipient_key: str) -> bool:
    """Authorities always: a legal disclosure is never one person's decision."""
    return recipient_named(recipient_key).kind is RecipientKind.LAW_ENFORCEMENT


def check_scope(recipient_key: str, ground: str, categories: list[str]) -> None:
    decision = current_engine().decide_share(recipient_key, ground, categories, "customer")
    if not decision.allowed:
        refused = f" ({', '.join(sorted(decision.refused))})" if decision.refused else ""
        raise DisclosureRefused(
            f"{recipient_key} on {ground}: {decision.reason.value}{refused} [{decision.rule}]"
        )


def _entry(actor: Actor, disclosure: Disclosure, rule: str, *, allowed: bool, rows: int = 0,
           subject_ref: str = "*", categories=(), promise: str = "") -> None:  # fmt: skip
    """One audit entry: a `disclose` per customer whose data left, or a `request` for the
    request itself and each decision on it (the transparency report counts these)."""
    audit.append(
        actor=actor, action=Action.DISCLOSE if subject_ref != "*" else Action.REQUEST,
        purpose=PURPOSE.format(kind=disclosure.kind),
        reason=Reason.ALLOWED if allowed else Reason.DECLINED,
        subject="customer", subject_ref=subject_ref, categories=categories, allowed=allowed,
        rule=f"disclosure:{disclosure.pk} {rule}", promise=promise, rows=rows,
    )  # fmt: skip


@transaction.atomic
def record(
    *, kind: str, recipient: str, ground: str, reference: str, customer_ids: list[int],
    categories: list[str], by, gag_until: dt.date | None = None,
    due_at: dt.datetime | None = None,
) -> Disclosure:  # fmt: skip
    """Record a request to disclose (a subpoena received, a partner share asked for).
    Refused at once if the policy does not let this recipient have these categories on
    this ground; nothing leaves until it is approved."""
    ids = sorted(set(customer_ids))
    if not ids or len(ids) > MAX_SUBJECTS:
        raise DisclosureRefused(f"a disclosure names 1 to {MAX_SUBJECTS} customers")
    if unknown := unknown_customers(ids):
        raise DisclosureRefused(
            f"there is no customer number {unknown[0]}"
            + (f" (and {len(unknown) - 1} more)" if len(unknown) > 1 else "")
        )
    categories = sorted(set(categories))
    if not categories:
        raise DisclosureRefused("a disclosure names the categories it would send")
    check_scope(recipient, ground, categories)
    disclosure = Disclosure.objects.create(
        kind=kind, recipient=recipient, ground=ground, reference=reference[:300],
        categories=categories, requested_by=by, gag_until=gag_until, due_at=due_at,
        manifest={"asked_for": ids},
    )  # fmt: skip
    _entry(_actor(by), disclosure, "received", allowed=True, rows=len(ids),
           categories=categories)  # fmt: skip
    if _tells_first(disclosure):  # before anything leaves, so they can respond
        for customer_id in ids:
            _tell(disclosure.pk, customer_id, RECEIVED)
    return disclosure


MAX_ID = 2**63 - 1  # the largest key a database row holds


def unknown_customers(customer_ids: list[int]) -> list[int]:
    """The numbers that name no customer: a disclosure of customer 0 went out empty, and
    one past 64 bits was recorded, then its approval an OverflowError."""
    ids = {int(c) for c in customer_ids}
    bad = {c for c in ids if not 0 < c <= MAX_ID}
    with decided_elsewhere():  # whether a number is a customer's: no data of theirs read
        found = set(Customer.internal.filter(pk__in=ids - bad).values_list("pk", flat=True))
    return sorted(ids - found)


def _tells_first(disclosure: Disclosure) -> bool:
    """Authorities' requests are told to the customer first, unless a gag order or an
    emergency says otherwise; a partner share the customer could refuse is not."""
    return (
        needs_second_approver(disclosure.recipient) and disclosure.gag_until is None
        and disclosure.kind != Disclosure.Kind.EMERGENCY
    )  # fmt: skip


def _tell(disclosure_id: int, customer_id: int, what: str, when=None) -> None:
    transaction.on_commit(lambda: customer_to_tell.send(
        sender=None, disclosure_id=disclosure_id, customer_id=customer_id, what=what, when=when,
    ))  # fmt: skip


def _fields(disclosure: Disclosure) -> list:
    """The customer fields of the disclosed categories that the policy collects."""
    collected = current_policy().collected_categories("customer")
    return [
        f for f in Customer.personal_fields()
        if category_of(f) in collected
        and any(is_within(category_of(f), c) for c in disclosure.categories)
    ]  # fmt: skip


def _parts(disclosure: Disclosure) -> list[str]:
    """The categories of PACKAGE_PARTS the disclosure asks for (within one it names)."""
    collected = current_policy().collected_categories("customer")
    return [
        p for p in PACKAGE_PARTS.names()
        if p in collected and any(is_within(p, c) for c in disclosure.categories)
    ]  # fmt: skip


def sent_categories(disclosure: Disclosure) -> list[str]:
    """The categories asked for that the package holds data of."""
    held = [category_of(f) for f in _fields(disclosure)] + _parts(disclosure)
    return [c for c in disclosure.categories if any(is_within(h, c) for h in held)]


def _package(disclosure: Disclosure, customer_ids: list[int]) -> tuple[dict, list[str]]:
    """What leaves: the customers' fields of the disclosed categories, and their names,
    with any part kept elsewhere (their hosted records) under its category."""
    names = [f.attname for f in _fields(disclosure)]
    with decided_elsewhere():  # decided by approve(), audited there per customer
        rows = list(Customer.internal.filter(pk__in=customer_ids).order_by("pk")
                    .values("pk", *names))  # fmt: skip
        for category in _parts(disclosure):
            found = PACKAGE_PARTS[category](customer_ids)
            for row in rows:
                row[category] = found.get(row["pk"], [])
            names.append(category)
    to = recipient_named(disclosure.recipient)
    return {
        "from": current_policy().provider.name, "to": to.name,
        "ground": disclosure.ground, "reference": disclosure.reference,
        "disclosure": disclosure.pk, "customers": rows,
    }, names  # fmt: skip


@transaction.atomic
def approve(disclosure_id: int, *, by) -> bytes:
    """Approve and disclose: returns the package (JSON), which exists only as it leaves."""
    disclosure = Disclosure.objects.select_for_update().get(pk=disclosure_id)
    if disclosure.status != Disclosure.Status.REQUESTED:
        raise DisclosureRefused(f"disclosure #{disclosure.pk} is {disclosure.status} already")
    if needs_second_approver(disclosure.recipient) and (
        by is None or by.pk == disclosure.requested_by_id
    ):
        raise DisclosureRefused("a second staff member, not the requester, must approve it")
    asked = disclosure.manifest.get("asked_for", [])
    engine, actor = current_engine(), _actor(by)
    opted_out = refused_by(disclosure.recipient, asked)
    allowed, refused = [], {}
    kind = recipient_named(disclosure.recipient).kind
    if kind in CUSTOMERS_OF:  # only the partner's own (joint) customers
        theirs = CUSTOMERS_OF[kind](disclosure.recipient, asked)
        refused.update({str(c): "not_their_customer" for c in asked if c not in theirs})
        asked = [c for c in asked if c in theirs]
    for customer_id in asked:
        decision = engine.decide_share(
            disclosure.recipient, disclosure.ground, disclosure.categories, "customer",
            refused_recipients=[disclosure.recipient] if customer_id in opted_out else [],
        )  # fmt: skip
        (allowed.append(customer_id) if decision.allowed
         else refused.__setitem__(str(customer_id), decision.reason.value))  # fmt: skip
    package, names = _package(disclosure, allowed)
    allowed = [row["pk"] for row in package["customers"]]  # those that still exist
    content = json.dumps(package, cls=DjangoJSONEncoder, sort_keys=True).encode()
    digest = hashlib.sha256(content).hexdigest()
    promise, sent = _promise(disclosure), sent_categories(disclosure)
    for customer_id in allowed:
        _entry(actor, disclosure, f"sha256:{digest}", allowed=True, rows=1,
               subject_ref=str(customer_id), categories=sent, promise=promise)  # fmt: skip
    now = timezone.now()
    visible = now
    if disclosure.gag_until:
        visible = timezone.make_aware(dt.datetime.combine(disclosure.gag_until, dt.time()))
        visible = max(visible, now)
    with decided_elsewhere():  # ids only, audited above with what left
        DisclosedSubject.internal.bulk_create(
            [DisclosedSubject(disclosure=disclosure, customer_id=c, visible_from=visible)
             for c in allowed]
        )  # fmt: skip
    told_first = _tells_first(disclosure)
    if needs_second_approver(disclosure.recipient) and not told_first:
        for customer_id in allowed:  # the gag's end, or at once after an emergency
            _tell(disclosure.pk, customer_id, DISCLOSED, visible if visible > now else None)
    decision = Disclosure.Decision.PARTLY if refused else Disclosure.Decision.COMPLY
    _entry(actor, disclosure, f"decision:{decision}", allowed=True, rows=len(allowed))
    Disclosure.objects.filter(pk=disclosure.pk).update(
        status=Disclosure.Status.DISCLOSED, decision=decision, approved_by=by,
        disclosed_at=now, manifest={
            "asked_for": disclosure.manifest.get("asked_for", []), "customers": allowed,
            "refused": refused,
            "categories": sent, "fields": names, "sha256": digest,
            "bytes": len(content),
        },
    )  # fmt: skip
    return content


def _promise(disclosure: Disclosure) -> str:
    policy = current_policy()
    kind = recipient_named(disclosure.recipient).kind
    if kind is RecipientKind.REFERRAL_PARTNER:
        return "DIS-4" if policy.makes("DIS-4") else ""
    if kind is RecipientKind.INTEGRATION_PARTNER:
        return "DIS-5" if policy.makes("DIS-5") else ""
    if kind is not RecipientKind.LAW_ENFORCEMENT:
        return "DIS-3" if policy.makes("DIS-3") else ""
    for promise in ("DIS-1", "DIS-9"):
        if policy.makes(promise):
            return promise
    return ""


@transaction.atomic
def decline(disclosure_id: int, *, by, decision: str, reasons: str) -> None:
    """Reject or contest a request: nothing leaves, and the chain says so."""
    if decision not in (Disclosure.Decision.REJECT, Disclosure.Decision.CONTEST):
        raise DisclosureRefused("decline with 'reject' or 'contest'")
    disclosure = Disclosure.objects.select_for_update().get(pk=disclosure_id)
    if disclosure.status != Disclosure.Status.REQUESTED:
        raise DisclosureRefused(f"disclosure #{disclosure.pk} is {disclosure.status} already")
    status = (Disclosure.Status.REJECTED if decision == Disclosure.Decision.REJECT
              else Disclosure.Status.CONTESTED)  # fmt: skip
    _entry(_actor(by), disclosure, f"decision:{decision}", allowed=False)
    Disclosure.objects.filter(pk=disclosure.pk).update(
        status=status, decision=decision, reasons=reasons[:2000], approved_by=by
    )


def visible_to(customer_id: int) -> list[dict]:
    """The disclosures of a customer's data they may see now (DIS-8): a gagged one only
    from the day the gag ends."""
    me = Actor.for_customer(customer_id)
    rows = (
        DisclosedSubject.objects.for_purpose(me, Purpose.SERVICE)
        .filter(customer_id=customer_id, visible_from__lte=timezone.now())
        .values_list("disclosure_id", flat=True)
    )
    names = {r.key: r.name for r in current_policy().recipients}
    return [
        {"at": d.disclosed_at, "to": names.get(d.recipient, d.recipient),
         "ground": d.ground, "categories": d.categories, "reference": d.get_kind_display()}
        for d in Disclosure.objects.filter(pk__in=list(rows)).order_by("disclosed_at")
    ]  # fmt: skip


# --- Preservation requests: hold, disclose nothing ------------------------------------------


def hold(*, customer_ids: list[int], reference: str, by) -> PreservationHold:
    """Keep these customers' data from retention until released; nothing leaves."""
    ids = sorted({int(c) for c in customer_ids})
    if not ids or len(ids) > MAX_SUBJECTS:
        raise DisclosureRefused(f"a hold names 1 to {MAX_SUBJECTS} customers")
    if not reference.strip():
        raise DisclosureRefused("a hold names the request it answers")
    found = PreservationHold.objects.create(customers=ids, reference=reference.strip()[:300],
                                            requested_by=by)  # fmt: skip
    audit.append(
        actor=_actor(by), action=Action.REQUEST, purpose=PURPOSE.format(kind="preservation"),
        reason=Reason.ALLOWED, subject="customer", subject_ref="*", allowed=True,
        rule=f"preservation:{found.pk} held", rows=len(ids),
    )  # fmt: skip
    return found


def release(hold_id: int, *, by) -> None:
    """End a hold; the erasures its customers asked for meanwhile are done now (unless
    another hold still names them)."""
    if PreservationHold.objects.filter(pk=hold_id, released_at__isnull=True).update(
        released_at=timezone.now()
    ):
        audit.append(
            actor=_actor(by), action=Action.REQUEST,
            purpose=PURPOSE.format(kind="preservation"), reason=Reason.ALLOWED,
            subject="customer", subject_ref="*", allowed=True,
            rule=f"preservation:{hold_id} released",
        )  # fmt: skip
        released = PreservationHold.objects.values_list("customers", flat=True).get(pk=hold_id)
        erase_waiting({int(c) for c in released} - held_customers())


HOLD_ENDED = Actor.system("disclosure.preservation")


def erase_waiting(customer_ids: set[int]) -> int:
    """Each erasure that waited on a hold, done now; returns how many."""
    done = 0
    for request_id, customer_id in ledger.erasures_waiting(customer_ids, by=HOLD_ENDED):
        with transaction.atomic():
            own_data.erase(customer_id, by=Actor.for_customer(customer_id))
            ledger.finish(request_id, by=HOLD_ENDED, outcome="erased when the legal hold ended")
            ledger.record_done(None, customer_id=None, kind=Request.Kind.DELETION,
                               channel=Request.Channel.PORTAL, by=HOLD_ENDED,
                               outcome="erased when the legal hold ended; records the law "
                               "requires are kept")  # fmt: skip
        done += 1
    return done


def held_customers() -> set[int]:
    """Every customer a hold in force names (enforcement.retention skips their data)."""
    rows = PreservationHold.objects.filter(released_at__isnull=True).values_list(
        "customers", flat=True
    )
    return {int(c) for ids in rows for c in ids}

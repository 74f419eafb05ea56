"""A customer's own data: everything held about them (ACC-7), and its erasure (ACC-8).

`everything(customer_id)` reads each personal model as the customer (the gateway
scopes the rows to them and audits each read) for the purpose the policy gives
the model's data, and adds their consents and the disclosures made of their data
from the audit log. `erase(customer_id)` removes all of it except what the policy
marks as legally retained, which it keeps and marks (`retained_since`).
"""

from collections.abc import Callable

from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.exceptions import FieldDoesNotExist
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from hippocratic.accounts import customer_log, throttling
from hippocratic.accounts.models import AccountEvent, Customer, CustomerOwnedModel, Organisation
from hippocratic.accounts.sessions import session_store
from hippocratic.accounts.signals import erasing
from hippocratic.enforcement import audit, proofs, retention
from hippocratic.enforcement.actors import Actor
from hippocratic.enforcement.audit import Action
from hippocratic.enforcement.fields import category_of
from hippocratic.enforcement.gateway import decided_elsewhere, purpose_for
from hippocratic.enforcement.models import AuditEntry, OptOut
from hippocratic.enforcement.registry import personal_models
from hippocratic.enforcement.retention import blankable
from hippocratic.policy import words
from hippocratic.policy.reasons import Reason
from hippocratic.provider import current_policy
from hippocratic.registry import Registry


def customer_models() -> list:
    """The models of rows a customer owns (everything about them but their Customer row)."""
    return [m for m in personal_models() if issubclass(m, CustomerOwnedModel)]


def _section(model) -> str:
    plural = str(model._meta.verbose_name_plural).replace(" ", "_")
    return {"AccountEvent": "customer_log"}.get(model.__name__, plural)


def _collected_fields(model) -> list[str]:
    collected = current_policy().collected_categories("customer")
    return [f.attname for f in model.personal_fields() if category_of(f) in collected]


def profile(customer_id: int) -> dict:
    """The customer's own row: the fields the policy collects, read as the customer."""
    rows = Customer.objects.for_purpose(Actor.for_customer(customer_id), purpose_for(Customer))
    fields = _collected_fields(Customer)
    return rows.values("created_at", "closed_at", "organisation_id", *fields).get()


def rows(customer_id: int, model) -> list[dict]:
    """The customer's rows of one model, oldest first ([] where the policy collects
    none of its categories: the model holds nothing here)."""
    fields = _collected_fields(model)
    if not fields:
        return []
    if model._meta.label in OWN_ROWS:  # sealed contents: the model's app opens them
        return OWN_ROWS[model._meta.label](customer_id)
    mine = model.objects.for_purpose(Actor.for_customer(customer_id), purpose_for(model))
    return list(mine.order_by("created_at").values("id", "created_at", *fields))


# How the page names what the JSON export keeps under its field names.
_COMMON = {"id": "Number", "created_at": "When", "closed_at": "Closed",
           "organisation_id": "Organisation number", "username": "User name",
           "last4": "Card ending in", "card_last4": "Card ending in"}  # fmt: skip


def _label(model, name: str) -> str:
    """A field as the policy words it (its data item's label), else its own name."""
    if name in _COMMON:
        return _COMMON[name]
    items = {item.field: item.label for kind, item in current_policy().data_items()
             if kind == model.data_subject}  # fmt: skip
    if name in items:
        return items[name]
    try:
        field = model._meta.get_field(name.removesuffix("_id"))
    except Exception:
        return name.replace("_", " ").capitalize()
    return str(field.verbose_name).capitalize()


def _named(model, found: list[dict]) -> dict:
    """column -> {id: name} for each column of `found` that points to a catalogue row (a
    service, not anyone's data): the page shows "Web hosting", not "Service 1"."""
    names = {}
    for column in found[0] if found else {}:
        if not column.endswith("_id"):
            continue
        try:
            field = model._meta.get_field(column.removesuffix("_id"))
        except FieldDoesNotExist:
            field = None
        target = getattr(field, "related_model", None)
        if target is None or hasattr(target, "personal_fields"):
            continue  # someone's data: read only through the gateway, left as a number
        ids = {row[column] for row in found if row[column] is not None}
        names[column] = {pk: str(obj) for pk, obj in target._default_manager.in_bulk(ids).items()}
    return names


def _shown(model, column: str, value, names: dict):
    """One value as the page shows it: a catalogue row by its name, a choice by its label,
    a code (a model's `coded_fields`: a processor's decline code) in words."""
    if column in names and value in names[column]:
        return names[column][value]
    if column in getattr(model, "coded_fields", ()) and value:
        return words.readable(value)
    try:
        field = model._meta.get_field(column)
    except (FieldDoesNotExist, AttributeError):
        return value
    if field.choices and value not in (None, ""):
        return dict(field.flatchoices).get(value, value)
    return value


def for_the_page(held: dict) -> dict:
    """`everything`'s data with people's words for its names: the profile as (label,
    value) pairs, each section with a title, column labels and rows of values."""
    by_section = {_section(m): m for m in customer_models()}
    profile = [("Customer since" if k == "created_at" else _label(Customer, k), v)
               for k, v in held["customer"].items()]  # fmt: skip
    sections = []
    for key, found in held["sections"].items():
        model = by_section.get(key)
        title = str(model._meta.verbose_name_plural).capitalize() if model else key
        names = _named(model, found) if model else {}
        if model is AccountEvent:
            title = "Customer log"
        columns = list(found[0].keys()) if found else []
        labels = [_label(model, c) if model else c for c in columns]
        rows = [[_shown(model, c, v, names) for c, v in row.items()] for row in found[:200]]
        if model is AccountEvent:  # the log reads as sentences
            labels = ["When", "What happened"]
            rows = [[row["created_at"], customer_log.in_words(row["kind"], row["detail"])]
                    for row in found[:200]]  # fmt: skip
        cells = [list(zip(labels, row, strict=False)) for row in rows]  # each value, named
        sections.append({"title": title, "columns": labels, "rows": rows, "cells": cells,
                         "count": len(found)})  # fmt: skip
    return {"profile": profile, "sections": sections}


def everything(customer_id: int) -> dict:
    """All we hold about one customer, as plain data (the page and the JSON export)."""
    held = {
        "customer": profile(customer_id),
        "sections": {
            _section(m): rows(customer_id, m) for m in customer_models() if _collected_fields(m)
        },
    }
    me = Customer.objects.for_purpose(Actor.for_customer(customer_id), purpose_for(Customer))
    held["customer"]["username"] = me.values_list("user__username", flat=True).first() or ""
    held["consents"] = _consents(customer_id)
    held["disclosures"] = _disclosures(customer_id)
    held["beyond_policy"] = beyond_policy(customer_id)
    return held


ACCESSES_SHOWN = 50


def accesses(customer_id: int) -> list[dict]:
    """The newest entries of the audit log about the customer made by anyone but the
    customer: each use of their data, by which role, for what, and its place in the log
    (whose inclusion proof the page checks; None until the sequencer has placed it).
    Staff are named by role; the customer's own reads (this page) are left out."""
    rows = AuditEntry.objects.filter(subject="customer", subject_ref=str(customer_id)).exclude(
        actor=Actor.for_customer(customer_id).label
    )
    return [
        {"seq": r["seq"], "at": r["at"], "by": r["role"] or r["actor"].split(":")[0],
         "action": r["action"], "purpose": r["purpose"], "categories": r["categories"],
         "allowed": r["allowed"]}
        for r in rows.order_by("-id").values(
            "seq", "at", "role", "actor", "action", "purpose", "categories", "allowed"
        )[:ACCESSES_SHOWN]
    ]  # fmt: skip


def access_proof(customer_id: int, seq: int) -> dict:
    """The inclusion proof of entry `seq`, where it is about this customer (LookupError
    otherwise, and where no signed head covers it yet)."""
    mine = AuditEntry.objects.filter(seq=seq, subject="customer", subject_ref=str(customer_id))
    if not mine.exists():
        raise LookupError(f"no entry #{seq} about you")
    return proofs.inclusion(seq)


def beyond_policy(customer_id: int) -> list[dict]:
    """What is still stored about the customer that the policy no longer collects
    (left by an earlier policy, until retention removes it): shown to them all the
    same, since it is theirs. Read as the customer's own request, and audited."""
    collected = current_policy().collected_categories("customer")
    found, categories = [], set()
    with decided_elsewhere():  # the gateway refuses uncollected categories; this is the
        # subject's right to see what is held, decided here and audited below
        for model in [Customer, *customer_models()]:
            stray = [f for f in model.personal_fields() if category_of(f) not in collected]
            if not stray:
                continue
            mine = model.internal.filter(**{model.subject_field: customer_id})
            for row in mine.values(*(f.attname for f in stray)):
                for field in stray:
                    value = row[field.attname]
                    if value not in (None, ""):
                        found.append({
                            "what": f"{model._meta.verbose_name}: {field.verbose_name}",
                            "category": category_of(field), "value": value,
                        })  # fmt: skip
                        categories.add(category_of(field))
    if found:
        audit.append(
            actor=Actor.for_customer(customer_id), action=Action.READ,
            purpose="access request", reason=Reason.SUBJECT_REQUEST, subject="customer",
            subject_ref=str(customer_id), categories=categories, allowed=True,
            rule="held beyond the policy", rows=len(found),
        )  # fmt: skip
    return found


def _consents(customer_id: int) -> list[dict]:
    """The uses and the sharing the customer has refused (opt-outs), with when, in words."""
    policy = current_policy()
    names = {r.key: r.name for r in policy.recipients}
    rows = OptOut.objects.filter(subject="customer", subject_id=customer_id).order_by("at")
    return [
        {**r, "what": words.use(policy, r["use"]) if r["use"]
         else f"sharing with {names.get(r['recipient'], r['recipient'])}"}
        for r in rows.values("use", "recipient", "at", "policy_version")
    ]  # fmt: skip


DISCLOSURE_SOURCES: Registry[Callable[[int], list[dict]]] = Registry(
    "accounts.disclosure_sources",
    "customer id -> the disclosures of their data they may see now (DIS-8); the disclosure "
    "app's honours gag orders.",
)
OWN_ROWS: Registry[Callable[[int], list[dict]]] = Registry(
    "accounts.own_rows",
    "A model's label -> customer id -> their rows, opened: for rows the model keeps sealed "
    "(a mailbox's messages), which only its app can read for the data page and export.",
)


def _disclosures(customer_id: int) -> list[dict]:
    """Each disclosure of the customer's data to someone outside: those recorded by the
    apps that disclose, and any other `disclose` entry of the audit log."""
    rows = AuditEntry.objects.filter(
        subject="customer", subject_ref=str(customer_id), action="disclose", allowed=True
    ).exclude(rule__startswith="disclosure:")
    found = [
        {"at": r["at"], "to": r["purpose"], "ground": r["rule"], "categories": r["categories"],
         "reference": ""}
        for r in rows.values("at", "purpose", "categories", "rule")
    ]  # fmt: skip
    for source in DISCLOSURE_SOURCES:
        found += source(customer_id)
    return sorted(found, key=lambda d: d["at"])


# --- Erasure (ACC-8) -----------------------------------------------------------------------


def legally_retained() -> set[str]:
    """Customer categories the policy marks as kept because the law requires it."""
    policy = current_policy()
    return {
        item.category for kind, item in policy.data_items()
        if kind == "customer" and item.retention and item.retention.legally_required
    }  # fmt: skip


class ErasureHeld(Exception):
    """A preservation hold (a legal request to keep the data) names the customer: nothing
    is erased while it is in force; the request waits and is done when it ends."""


@transaction.atomic
def erase(customer_id: int, *, by: Actor) -> dict[str, int]:
    """Erase a customer: every row about them goes, except rows whose personal data is
    all legally retained, which stay marked `retained_since`. The customer row stays
    (blank, status "erased") only while such records name it. The login, sessions,
    remember-me tokens, throttling records and opt-outs go too. Returns counts."""
    if retention.held(customer_id):  # before anything goes: data, mailbox key, messages
        raise ErasureHeld(f"customer {customer_id} is under a preservation hold")
    now, kept = timezone.now(), legally_retained()
    counts: dict[str, int] = {}
    # Other apps settle first what must not outlive the erasure elsewhere (billing
    # detaches card tokens at the processor); an error here erases nothing.
    erasing.send(sender=Customer, customer_id=customer_id, by=by)
    with decided_elsewhere():  # decided here, audited below: erasure is the subject's right
        for model in customer_models():
            rows = model.internal.filter(**{model.subject_field: customer_id})
            categories = {category_of(f) for f in model.personal_fields()}
            if categories & kept and hasattr(model, "retained_since"):
                counts[f"{model.__name__} kept"] = rows.update(
                    retained_since=now, **_blanks(model, kept)
                )
            else:
                counts[model.__name__] = rows.delete()[0]
        retained = any(counts.get(f"{m.__name__} kept") for m in customer_models())
        customer = Customer.internal.filter(pk=customer_id)
        user_id, organisation_id = customer.values_list("user_id", "organisation_id").get()
        if organisation_id is not None:  # one member fewer
            Organisation.objects.filter(pk=organisation_id).update(size=F("size") - 1)
        if retained:
            erased = {"status": Customer.Status.ERASED, "membership": ""}
            customer.update(
                **(_blanks(Customer, kept) | erased), user=None, organisation=None, closed_at=now
            )
        else:
            customer.delete()
    with decided_elsewhere():  # the login's deletion unlinks it from the erased row
        _forget_login(user_id)
    OptOut.objects.filter(subject="customer", subject_id=customer_id).delete()
    audit.append(
        actor=by, action=Action.ERASE, purpose="erasure", reason=Reason.SUBJECT_REQUEST,
        subject="customer", subject_ref=str(customer_id),
        categories={category_of(f) for m in [*customer_models(), Customer]
                    for f in m.personal_fields()} - kept,
        allowed=True, rule="subject request", promise="ACC-8",
        rows=sum(v for k, v in counts.items() if not k.endswith(" kept")),
    )  # fmt: skip
    return counts


def _blanks(model, kept: set[str]) -> dict:
    """Empty values for the fields of `model` that are not legally retained."""
    return {
        f.attname: None if f.null else "" for f in model.personal_fields()
        if category_of(f) not in kept and blankable(f)
    }  # fmt: skip


def _forget_login(user_id: int | None) -> None:
    """The login and everything keyed by it: sessions, tokens, failed attempts."""
    if user_id is None:
        return
    User = get_user_model()
    user = User.objects.filter(pk=user_id).first()
    if user is None:
        return
    AccountSession = apps.get_model("accounts", "AccountSession")
    for key in AccountSession.objects.filter(user=user).values_list("session_key", flat=True):
        session_store(key).delete()
    for name in ("AccessAttempt", "AccessFailureLog", "AccessLog"):
        attempts = apps.get_model("axes", name).objects
        attempts.filter(username=throttling.pseudonym_of(user.get_username())).delete()
    user.delete()  # cascades to AccountSession and RememberToken

"""Deleting personal data past the retention the policy sets for its category.

For each personal-data model:
  0. data of a category the policy does not collect (left by an earlier policy:
     a profile switched from Ducallier's to Dracon's) is removed: the field is
     blanked, or the row deleted where it holds nothing the policy collects;
  1. a row whose every field has expired, and on which no other personal row
     depends, is deleted;
  2. in the rows left, a field whose category's period has ended is blanked
     (the row may live on for a longer-kept category, such as a legally
     retained billing record).
The period runs from the row's `retention_clock` (after: collection), its
`closure_clock` (after: account_closure; open accounts never expire) or its
`delivery_clock` (after: delivery: mail kept only to deliver it, COM-1).
A customer named by a hold (a preservation request, HOLDS) keeps everything. Each
batch is audited: what was removed, from which model, how many rows.

The login of a closed account (Django's, declared in enforcement.libraries) goes the
same way, field by field from the account's closing: the password hash is replaced
by an unusable mark when its period ends, and the login is deleted when the user
name's does (`_logins`).
"""

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX, make_password
from django.db import models, transaction
from django.utils import timezone

from hippocratic.enforcement import audit
from hippocratic.enforcement.actors import Actor
from hippocratic.enforcement.audit import Action
from hippocratic.enforcement.fields import category_of
from hippocratic.enforcement.gateway import decided_elsewhere
from hippocratic.enforcement.libraries import LIBRARY_MODELS
from hippocratic.enforcement.registry import personal_models
from hippocratic.policy.models import Policy, Retention
from hippocratic.policy.reasons import Reason
from hippocratic.provider import current_policy
from hippocratic.registry import Registry

ACTOR = Actor.system("retention")
# Apps that hold data back from retention add a function here: () -> the customer ids
# whose data must stay (disclosure: preservation requests). Their rows are skipped.
HOLDS: Registry[Callable[[], set[int]]] = Registry(
    "enforcement.holds",
    "() -> the customers whose data retention must keep for now (preservation requests).",
)


def held(customer_id: int) -> bool:
    """Whether a hold in force names the customer: then nothing of theirs is deleted,
    by retention or by their own erasure (accounts.own_data waits for its end)."""
    return any(customer_id in hold() for hold in HOLDS)


def _held(model) -> models.Q | None:
    """The rows of `model` that a hold keeps, or None where none does."""
    if model.data_subject != "customer" or not HOLDS:
        return None
    ids = set().union(*(hold() for hold in HOLDS))
    if not ids:
        return None
    return models.Q(**{f"{model.subject_field}__in": sorted(ids)})


@dataclass(frozen=True)
class Removal:
    model: str
    action: str  # "erase" (one field blanked) or "delete" (whole rows)
    field: str  # the field erased, or "*"
    category: str
    rows: int


def _now():
    """The clock, for mocking in tests."""
    return timezone.now()


def retention_for(policy: Policy, subject: str, category: str) -> Retention | None:
    """The longest retention the policy gives this category for this subject."""
    found = [
        item.retention
        for kind, item in policy.data_items()
        if kind.value == subject and item.category == category and item.retention
    ]
    return max(found, key=lambda r: r.days) if found else None


def _expired(model, retention: Retention, now: dt.datetime) -> models.Q | None:
    if retention.after == "delivery":
        return _undeliverable(model, retention, now)
    clock = model.closure_clock if retention.after == "account_closure" else model.retention_clock
    if clock is None:
        return None
    cutoff = now - dt.timedelta(days=retention.days)
    expired = models.Q(**{f"{clock}__lt": cutoff})
    orphan = getattr(model, "accountless_clock", None)
    if orphan and retention.after == "account_closure":
        # A row that names no account (a visitor's question): its own date runs the period.
        expired |= models.Q(customer__isnull=True, **{f"{orphan}__lt": cutoff})
    return expired


def _undeliverable(model, retention: Retention, now: dt.datetime) -> models.Q | None:
    """Kept only to deliver (COM-1): a row goes `days` after its delivery, or, never
    delivered, `undelivered_days` after it came."""
    clock = getattr(model, "delivery_clock", None)
    if clock is None or model.retention_clock is None:
        return None
    delivered = models.Q(**{f"{clock}__lt": now - dt.timedelta(days=retention.days)})
    waiting = models.Q(**{
        f"{clock}__isnull": True,
        f"{model.retention_clock}__lt": now - dt.timedelta(days=retention.undelivered_days),
    })  # fmt: skip
    return delivered | waiting


def _dependents(model) -> list[str]:
    """Reverse relations that protect a row (on_delete=PROTECT, e.g. billing records
    naming a customer): rows they point at are kept. Rows of CASCADE relations go
    with the row they belong to."""
    personal = set(personal_models())
    return [
        rel.get_accessor_name()
        for rel in model._meta.related_objects
        if rel.related_model in personal and rel.on_delete is models.PROTECT
    ]


def blankable(field: models.Field) -> bool:
    return field.null or isinstance(field, (models.CharField, models.TextField))


def purge(*, for_real: bool = False) -> list[Removal]:
    """What the policy's retention removes now; removes it only if `for_real`."""
    policy, now = current_policy(), _now()
    removals = _not_collected(policy, for_real=for_real)
    for model in personal_models():
        first = len(removals)  # this model's removals follow; they are audited together
        expiries: list[tuple[models.Field, models.Q]] = []
        collected = policy.collected_categories(model.data_subject)
        # Fields of categories the policy does not collect are empty: they never block.
        fields = [f for f in model.personal_fields() if category_of(f) in collected]
        for field in fields:
            retention = retention_for(policy, model.data_subject, category_of(field))
            expired = _expired(model, retention, now) if retention else None
            if expired is not None:
                expiries.append((field, expired))
        held = _held(model)
        with transaction.atomic(), decided_elsewhere():
            rows = model.internal.all() if held is None else model.internal.exclude(held)
            # Rows whose every field has expired go whole; then single fields.
            if expiries and len(expiries) == len(fields):
                doomed = rows
                for _, expired in expiries:
                    doomed = doomed.filter(expired)
                for accessor in _dependents(model):
                    doomed = doomed.filter(**{f"{accessor}__isnull": True})
                n = doomed.count()
                if n and for_real:
                    n = doomed.delete()[0]
                if n:
                    removals.append(Removal(model.__name__, "delete", "*", "*", n))
            for field, expired in expiries:
                if blankable(field):  # a non-null date or number goes only with its row
                    removals += _blank(model, rows.filter(expired), field, for_real=for_real)
            if for_real:
                for removal in removals[first:]:
                    _audit(model, removal)
    return removals + _logins(policy, now, for_real=for_real)


def _logins(policy: Policy, now: dt.datetime, *, for_real: bool) -> list[Removal]:
    """The logins of closed accounts: each field of the login model whose category's
    period after closing has ended goes (the password hash made unusable, another
    field blanked), and the login is deleted (its sessions, tokens and codes with it)
    once its user name's period has ended. Open accounts' logins are never touched."""
    User = get_user_model()
    declared = LIBRARY_MODELS[User._meta.label].fields
    removals: list[Removal] = []
    for model in personal_models():
        login = getattr(model, "login_field", None)
        if not login or model.closure_clock is None:
            continue
        # The user name last: deleting the login ends every other field with it.
        fields = sorted(declared.items(), key=lambda f: f[0] == User.USERNAME_FIELD)
        for field, category in fields:
            retention = retention_for(policy, model.data_subject, category)
            if retention is None or retention.after != "account_closure":
                continue
            held = _held(model)
            with transaction.atomic(), decided_elsewhere():
                rows = model.internal.all() if held is None else model.internal.exclude(held)
                ids = rows.filter(_expired(model, retention, now), **{f"{login}__isnull": False})
                users = User.objects.filter(pk__in=ids.values_list(login, flat=True))
                if field == User.USERNAME_FIELD:
                    action, n = "delete", users.count()
                    if n and for_real:
                        users.delete()
                elif field == "password":
                    users = users.exclude(password__startswith=UNUSABLE_PASSWORD_PREFIX)
                    action, n = "erase", users.count()
                    if n and for_real:
                        users.update(password=make_password(None))
                else:
                    users = users.exclude(**{field: ""})
                    action, n = "erase", users.count()
                    if n and for_real:
                        users.update(**{field: ""})
                if not n:
                    continue
                removal = Removal(User.__name__, action, "*" if action == "delete" else field,
                                  category, n)  # fmt: skip
                removals.append(removal)
                if for_real:
                    audit.append(
                        actor=ACTOR, action=Action(action), purpose="retention",
                        reason=Reason.RETENTION_ENDED, subject=model.data_subject,
                        subject_ref=f"{User._meta.label}:*",
                        categories=sorted(declared.values()) if action == "delete" else [category],
                        allowed=True, rule=f"retention:login.{field}", rows=n,
                    )  # fmt: skip
    return removals


def _blank(model, rows, field, *, for_real: bool) -> list[Removal]:
    """Empty `field` in `rows` where it holds a value (only count them unless `for_real`)."""
    empty = None if field.null else ""
    held = rows.exclude(**{field.attname: empty})
    n = held.update(**{field.attname: empty}) if for_real else held.count()
    return [Removal(model.__name__, "erase", field.name, category_of(field), n)] if n else []


def _not_collected(policy: Policy, *, for_real: bool) -> list[Removal]:
    """Step 0: data of categories this policy does not collect, left by another."""
    removals = []
    for model in personal_models():
        collected = policy.collected_categories(model.data_subject)
        fields = model.personal_fields()
        stray = [f for f in fields if category_of(f) not in collected]
        if not stray:
            continue
        found = []
        held = _held(model)
        with transaction.atomic(), decided_elsewhere():
            rows = model.internal.all() if held is None else model.internal.exclude(held)
            if len(stray) == len(fields):  # nothing in these rows is collected now
                for accessor in _dependents(model):
                    rows = rows.filter(**{f"{accessor}__isnull": True})
                n = rows.delete()[0] if for_real else rows.count()
                if n:
                    found.append(Removal(model.__name__, "delete", "*", "*", n))
            else:
                for field in filter(blankable, stray):
                    found += _blank(model, rows, field, for_real=for_real)
            if for_real:
                for removal in found:
                    _audit(model, removal, rule="not collected by this policy")
        removals += found
    return removals


def _audit(model, removal: Removal, rule: str = "") -> None:
    categories = (
        [removal.category] if removal.category != "*"
        else sorted({category_of(f) for f in model.personal_fields()})
    )  # fmt: skip
    audit.append(
        actor=ACTOR, action=Action(removal.action), purpose="retention",
        reason=Reason.RETENTION_ENDED, subject=model.data_subject,
        subject_ref=f"{model._meta.label}:*", categories=categories, allowed=True,
        rule=rule or f"retention:{removal.field}", rows=removal.rows,
    )  # fmt: skip

"""Access cases: the only way staff reach one customer's contents (COM-2, COM-3, COM-5).

- Ducallier's customers grant support staff access to their hosted records from
  their account, for the policy's permission_hours, and may revoke it (COM-5).
- On the ISP's policy staff open a case on one of the policy's grounds; a case of
  legal process needs a second staff member's approval before it opens (COM-3).
- A report of a harmful message opens a review case on that one message (COM-4).
Every read under a case is audited naming it; the customer sees those entries.
"""

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from hippocratic.communications import contents
from hippocratic.communications.contents import (
    CUSTOMER_PERMISSION,
    LEGAL_GROUNDS,
    grounds_for,
    purpose_of,
)
from hippocratic.communications.models import AccessCase
from hippocratic.enforcement import audit
from hippocratic.enforcement.actors import Actor, staff_role
from hippocratic.enforcement.audit import Action
from hippocratic.enforcement.models import AuditEntry
from hippocratic.policy.reasons import Reason
from hippocratic.provider import current_engine, current_policy

MAX_SCOPE = 1000


def _clean_scope(scope) -> list[int]:
    items = sorted({int(i) for i in scope or ()})
    if len(items) > MAX_SCOPE:
        raise ValidationError(f"a case names at most {MAX_SCOPE} items")
    return items


def grant(customer_id: int, *, scope=(), reason: str) -> AccessCase:
    """The customer lets support staff view their hosted records (all, or those in
    `scope`) for the policy's permission_hours (COM-5)."""
    if CUSTOMER_PERMISSION not in grounds_for("records"):
        raise ValidationError("this provider's staff never view hosted records")
    hours = current_policy().communications.hosted_data.permission_hours
    now = contents.now()
    case = AccessCase.objects.create(
        customer_id=customer_id, what=AccessCase.What.RECORDS, ground=CUSTOMER_PERMISSION,
        scope=_clean_scope(scope), reason=reason.strip()[:300] or "support",
        granted_by_customer=True, created_at=now, approved_at=now,
        expires_at=now + dt.timedelta(hours=hours),
    )  # fmt: skip
    _record(case, Actor.for_customer(customer_id), "granted")
    return case


def revoke(customer_id: int, case_id: int) -> bool:
    """The customer takes a permission back at once."""
    with transaction.atomic():
        rows = AccessCase.objects.select_for_update().filter(
            pk=case_id, customer_id=customer_id, granted_by_customer=True, closed_at__isnull=True
        )
        case = rows.first()
        if case is None:
            return False
        case.closed_at = contents.now()
        case.save(update_fields=["closed_at"])
        _record(case, Actor.for_customer(customer_id), "revoked")
    return True


def open_case(user, *, customer_id: int, what: str, ground: str, scope=(), reason: str):
    """A staff member asks to reach one customer's messages on a ground the policy
    names (COM-3). Legal process waits for approval; the others open at once."""
    if ground not in grounds_for(what) or ground == CUSTOMER_PERMISSION:
        raise ValidationError(f"the policy gives no ground {ground!r} for staff to reach {what}")
    if not reason.strip():
        raise ValidationError("say why: a ticket, a warrant's number")
    role = staff_role(user)
    decision = current_engine().decide(role, purpose_of(ground), (), "customer")
    if not decision.allowed:
        raise PermissionDenied(f"{role} may not act for {purpose_of(ground)}")
    now = contents.now()
    waits = ground in LEGAL_GROUNDS
    case = AccessCase.objects.create(
        customer_id=customer_id, what=what, ground=ground, scope=_clean_scope(scope),
        reason=reason.strip()[:300], requested_by=user, created_at=now,
        approved_at=None if waits else now,
        expires_at=now + dt.timedelta(hours=current_policy().communications.access_hours),
    )  # fmt: skip
    _record(case, Actor.for_user(user, role), "opened, waiting for approval" if waits else "opened")
    return case


def approve(case_id: int, user) -> AccessCase:
    """A second staff member approves a case of legal process: never its requester."""
    role = staff_role(user)
    case = AccessCase.objects.get(pk=case_id)
    if case.requested_by_id == user.pk:  # refused, and the refusal kept in the audit log
        audit.append(
            actor=Actor.for_user(user, role), action=Action.READ,
            purpose=purpose_of(case.ground), reason=Reason.NO_GROUND, subject="customer",
            subject_ref=str(case.customer_id), allowed=False, promise="COM-3",
            rule=f"{case.rule}: the requester may not approve it",
        )  # fmt: skip
        raise PermissionDenied("a case is approved by a staff member other than its requester")
    with transaction.atomic():
        case = AccessCase.objects.select_for_update().get(pk=case_id)
        if case.ground not in LEGAL_GROUNDS or case.approved_at is not None:
            raise ValidationError(f"access case {case.pk} needs no approval")
        if case.requested_by_id == user.pk:
            raise PermissionDenied("a case is approved by a staff member other than its requester")
        if not current_engine().decide(role, purpose_of(case.ground), (), "customer").allowed:
            raise PermissionDenied(f"{role} may not approve legal process")
        case.approved_by, case.approved_at = user, contents.now()
        case.save(update_fields=["approved_by", "approved_at"])
        _record(case, Actor.for_user(user, role), "approved")
    return case


def _record(case: AccessCase, actor: Actor, what: str) -> None:
    """The case's own life in the audit log: granted, opened, approved, revoked."""
    audit.append(
        actor=actor, action=Action.UPDATE, purpose=purpose_of(case.ground),
        reason=Reason.SUBJECT_REQUEST if case.granted_by_customer else Reason.ALLOWED,
        subject="customer", subject_ref=str(case.customer_id), allowed=True,
        rule=f"{case.rule}: {what}", promise="COM-5" if case.what == "records" else "COM-3",
    )  # fmt: skip


def views_of(customer_id: int) -> list[dict]:
    """Every read of the customer's contents under a case, for the customer to see:
    who, when, under which case, how many items."""
    rows = AuditEntry.objects.filter(
        subject="customer",
        subject_ref=str(customer_id),
        action=Action.READ.value,
        rule__startswith="access case ",
    ).order_by("-seq")
    return [
        {**row, "who": _who(row["actor"], row["role"]), "under": _under(row["rule"])}
        for row in rows.values("at", "actor", "role", "rule", "rows", "allowed")[:500]
    ]


ROLE_WORDS = {"staff.support": "Support staff", "staff.legal": "Legal staff",
              "staff.admin": "An administrator"}  # fmt: skip


def _who(label: str, role: str) -> str:
    """'user:3:sam', staff.support -> 'Support staff (sam)'."""
    name = label.split(":", 2)[-1] if label.startswith("user:") else label
    return f"{ROLE_WORDS.get(role, 'Staff')} ({name})"


def _under(rule: str) -> str:
    """'access case 4: customer_permission' -> 'your permission #4'."""
    number, _, ground = rule.removeprefix("access case ").partition(":")
    ground = ground.strip().split(":")[0]
    if ground == CUSTOMER_PERMISSION:
        return f"your permission #{number}"
    return f"case #{number} ({ground.replace('_', ' ')})"


def in_force(customer_id: int):
    """The customer's cases, newest first, each marked whether it is in force now."""
    now = contents.now()
    cases = list(AccessCase.objects.filter(customer_id=customer_id)[:100])
    for case in cases:
        case.in_force = (
            case.closed_at is None and case.expires_at > now and (case.approved_at is not None)
        )
    return cases

"""The sharing path's check (DIS-3, CH-1): may these customers' data go to a recipient
the policy names, on this ground? A customer who refused that recipient is refused
with the reason "subject opted out", and the refusal is audited.

    decisions = sharing.check(actor, "referral_partners", "joint_customer",
                              [customer_id], {"user.name", "user.contact.email"})

The disclosure that follows an allowed answer records what left (issue "Disclosures").
"""

from collections.abc import Iterable

from hippocratic.enforcement import audit
from hippocratic.enforcement.actors import Actor
from hippocratic.enforcement.audit import Action
from hippocratic.enforcement.models import OptOut
from hippocratic.policy.decision import Decision
from hippocratic.provider import current_engine

MAX_SUBJECTS = 100_000


def refused_by(recipient_key: str, customer_ids: Iterable[int]) -> set[int]:
    """The customers among `customer_ids` who opted out of sharing with the recipient."""
    return set(
        OptOut.objects.filter(
            subject="customer", recipient=recipient_key, subject_id__in=list(customer_ids)
        ).values_list("subject_id", flat=True)
    )


def check(
    actor: Actor, recipient_key: str, ground: str, customer_ids: Iterable[int],
    categories: Iterable[str],
) -> dict[int, Decision]:  # fmt: skip
    ids = list(dict.fromkeys(customer_ids))
    if len(ids) > MAX_SUBJECTS:
        raise ValueError(f"{len(ids)} subjects in one share, expected at most {MAX_SUBJECTS}")
    categories = sorted(set(categories))
    engine = current_engine()
    refused = refused_by(recipient_key, ids)
    answers = {}
    for customer_id in ids:
        decision = engine.decide_share(
            recipient_key, ground, categories, "customer",
            refused_recipients=[recipient_key] if customer_id in refused else [],
        )  # fmt: skip
        answers[customer_id] = decision
        if not decision.allowed:
            audit.append(
                actor=actor, action=Action.DISCLOSE, purpose=f"share:{recipient_key}",
                reason=decision.reason, subject="customer", subject_ref=str(customer_id),
                categories=categories, allowed=False, rule=decision.rule,
                promise=decision.promise,
            )  # fmt: skip
    return answers

"""The decision engine: a policy compiled into `decide(...) -> Decision`.

Rules, in the order they are applied (the first that fails decides):

  1. The actor's role is known.                     else UNKNOWN_ACTOR
  2. The purpose is declared in the policy.         else PURPOSE_NOT_DECLARED
  3. The policy has the data subject.               else SUBJECT_NOT_DECLARED
  4. Each category is collected from that subject.  else CATEGORY_NOT_COLLECTED
  5. No prohibition rules the use out.              else PROHIBITED_USE (its promise, e.g. PAY-2)
  6. Each category may serve the purpose.           else PURPOSE_NOT_ALLOWED
  7. The role may act for the purpose.              else ROLE_NOT_PERMITTED
  8. The subject has not opted out of the purpose.  else SUBJECT_OPTED_OUT
  Otherwise ALLOWED. Deny by default: an exception inside the engine is ENGINE_ERROR.
A request that names no category (a query reading only ids) still passes 1, 2,
3 and 7: an unknown actor or an undeclared purpose is refused whatever it reads.

A purpose serves a category when the policy lists that purpose, or a broader use
containing it (essential.service covers essential.service.operations), for a data
item of that category. Answers for (role, purpose, subject, category) are cached:
the policy is immutable, so the compiled engine is a pure function.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache

from hippocratic.policy.models import Policy, SubjectKind
from hippocratic.policy.reasons import Reason
from hippocratic.policy.taxonomy import is_within

# Roles and the purposes (data uses) each may act for. "*" is every declared purpose;
# "!use" takes a use back (support serves the service, but billing is billing's: PAY-2).
# `customer` acts on their own data only; the gateway scopes the rows.
DEFAULT_ROLES: dict[str, tuple[str, ...]] = {
    "system": ("*",),
    # ("sales": a visitor placing an order writes it to the sales records, CK-2.)
    "customer": ("essential", "functional", "sales"),
    # Someone asking for information writes their inquiry for the purposes the policy
    # gives prospects' data (the gateway lets them read nothing).
    "prospect": ("essential", "functional", "marketing.communications"),
    "staff.support": ("essential.service", "!essential.service.payment_processing", "functional"),
    "staff.billing": ("essential.service.payment_processing",),
    "staff.marketing": ("marketing",),
    "staff.analytics": ("analytics",),
    "staff.legal": ("essential.legal_obligation", "third_party_sharing"),
    "staff.admin": ("*",),
}


EMAIL = "user.contact.email"
# The grounds that are the terms of service or the law (DIS-2, DIS-9).
TERMS_OR_LAW = frozenset({"terms_of_service", "legal_requirement", "legal_process"})


@dataclass(frozen=True)
class Decision:
    """An answer, with the rule that gave it. Never a bare bool."""

    allowed: bool
    reason: Reason
    rule: str
    promise: str = ""
    # Categories refused, when only some of those asked for are (limited disclosure).
    refused: frozenset[str] = field(default_factory=frozenset)


ALLOW = Decision(True, Reason.ALLOWED, "policy")


class Engine:
    """A policy compiled for fast decisions."""

    def __init__(self, policy: Policy, roles: dict[str, tuple[str, ...]] | None = None):
        self.policy = policy
        self.roles = dict(roles or DEFAULT_ROLES)
        self._collected: dict[str, dict[str, set[str]]] = {}
        for kind, item in policy.data_items():
            uses = self._collected.setdefault(kind.value, {}).setdefault(item.category, set())
            uses.update(item.purposes)
        self._prohibitions = [
            (rule.categories, rule.uses, rule.promise or "", i)
            for i, rule in enumerate(policy.prohibitions)
        ]
        self._recipients = {r.key: r for r in policy.recipients}
        # Recipients a subject may refuse: those marked opt_out, and those a choice names.
        self._refusable = {r.key for r in policy.recipients if r.opt_out} | {
            key for choice in policy.choices for key in choice.recipients
        }
        self._one = lru_cache(maxsize=65536)(self._decide_one)
        self._serving = lru_cache(maxsize=256)(policy.purposes_serving)

    def decide(
        self,
        actor_role: str,
        purpose: str,
        categories: Iterable[str],
        subject: SubjectKind | str,
        *,
        opted_out: Iterable[str] = (),
    ) -> Decision:
        """Whether `actor_role` may use `categories` of `subject` for `purpose`.

        `opted_out` holds the uses this particular subject has refused.
        """
        try:
            subject_key = subject.value if isinstance(subject, SubjectKind) else subject
            categories = list(categories)
            if not categories:
                scope = self._scope_rules(actor_role, purpose, subject_key)
                if scope is None:
                    scope = self._role_rule(actor_role, purpose)
                if scope is not None:
                    return scope
            refused: set[str] = set()
            first_refusal: Decision | None = None
            for category in categories:
                answer = self._one(actor_role, purpose, subject_key, category)
                if not answer.allowed:
                    refused.add(category)
                    first_refusal = first_refusal or answer
            if first_refusal is not None:
                return Decision(
                    False,
                    first_refusal.reason,
                    first_refusal.rule,
                    first_refusal.promise,
                    frozenset(refused),
                )
            for use in opted_out:
                if is_within(purpose, use):
                    return Decision(False, Reason.SUBJECT_OPTED_OUT, f"opt-out of {use}", "CH-1")
            return ALLOW
        except Exception:  # deny by default: an engine fault never fails open
            return Decision(False, Reason.ENGINE_ERROR, "engine")

    def decide_share(
        self,
        recipient_key: str,
        ground: str,
        categories: Iterable[str],
        subject: SubjectKind | str,
        *,
        refused_recipients: Iterable[str] = (),
    ) -> Decision:
        """Whether `categories` of a subject may go to a recipient the policy names, on
        `ground`. `refused_recipients` holds the recipients this subject opted out of;
        a recipient the policy lets subjects refuse (DIS-3, CH-1) is then refused."""
        try:
            subject_key = subject.value if isinstance(subject, SubjectKind) else subject
            recipient = self._recipients.get(recipient_key)
            if recipient is None:
                return Decision(False, Reason.RECIPIENT_NOT_DECLARED, f"recipients.{recipient_key}")
            where = f"recipients.{recipient_key}"
            if subject_key not in {s.value for s in recipient.subjects}:
                return Decision(False, Reason.SUBJECT_NOT_DECLARED, f"{where}.subjects")
            if ground not in {g.value for g in recipient.grounds}:
                return Decision(False, Reason.GROUND_NOT_ALLOWED, f"{where}.grounds")
            collected = self._collected.get(subject_key, {})
            # A broad category (user.contact) is asked for what is collected under it.
            refused = frozenset(
                c for c in categories
                if not any(is_within(k, c) or is_within(c, k) for k in collected)
                or not any(is_within(c, r) for r in recipient.categories)
            )  # fmt: skip
            if refused:
                return Decision(False, Reason.CATEGORY_NOT_FOR_RECIPIENT, f"{where}.categories",
                                refused=refused)  # fmt: skip
            # COM-3: the contents of communications leave only on the grounds the
            # communications section names (legal process, evidence of a crime …).
            comms = self.policy.communications
            hosted = comms.hosted_data.category if comms and comms.hosted_data else None
            contents = frozenset(
                c for c in categories
                if comms is not None and is_within(c, comms.category)
                and not (hosted and is_within(c, hosted))  # hosted data: DIS-4, DIS-5
            )  # fmt: skip
            if contents and ground not in {g.value for g in comms.disclosure_grounds}:
                where = "communications.disclosure_grounds"
                return Decision(False, Reason.GROUND_NOT_ALLOWED, where, "COM-3", contents)
            # DIS-2: e-mail addresses leave only as the terms of service or the law allow.
            emails = frozenset(c for c in categories if is_within(c, EMAIL))
            if emails and self.policy.makes("DIS-2") and ground not in TERMS_OR_LAW:
                return Decision(False, Reason.PROHIBITED_USE, "promises.DIS-2", "DIS-2", emails)
            if recipient_key in self._refusable and recipient_key in set(refused_recipients):
                promise = "DIS-3" if self.policy.makes("DIS-3") else "CH-1"
                return Decision(False, Reason.SUBJECT_OPTED_OUT, f"opt-out of {where}", promise)
            return ALLOW
        except Exception:  # deny by default
            return Decision(False, Reason.ENGINE_ERROR, "engine")

    def purposes_serving(self, subject: str, categories: frozenset[str]) -> list[str]:
        """Policy.purposes_serving, cached with the compiled policy."""
        return self._serving(subject, categories)

    def allowed_categories(
        self, actor_role: str, purpose: str, categories: Iterable[str], subject: str
    ) -> set[str]:
        """The subset of `categories` this role may see for this purpose."""
        return {c for c in categories if self._one(actor_role, purpose, subject, c).allowed}

    def _scope_rules(self, role: str, purpose: str, subject: str) -> Decision | None:
        """Rules 1 to 3: who asks, why, and about whom; None when they pass."""
        # 1. The actor's role is known.
        if role not in self.roles:
            return Decision(False, Reason.UNKNOWN_ACTOR, f"roles.{role}")
        # 2. The purpose is declared.
        if purpose not in self.policy.purposes:
            return Decision(False, Reason.PURPOSE_NOT_DECLARED, f"purposes.{purpose}")
        # 3. The subject is in the policy.
        if subject not in self._collected:
            return Decision(False, Reason.SUBJECT_NOT_DECLARED, f"subjects.{subject}")
        return None

    def _role_rule(self, role: str, purpose: str) -> Decision | None:
        # 7. The role may act for the purpose ("!x" takes x and what is under it away).
        scopes = self.roles[role]
        if any(is_within(purpose, s[1:]) for s in scopes if s.startswith("!")):
            return Decision(False, Reason.ROLE_NOT_PERMITTED, f"roles.{role}")
        if "*" not in scopes and not any(is_within(purpose, scope) for scope in scopes):
            return Decision(False, Reason.ROLE_NOT_PERMITTED, f"roles.{role}")
        return None

    def _decide_one(self, role: str, purpose: str, subject: str, category: str) -> Decision:
        refusal = self._scope_rules(role, purpose, subject)
        if refusal is not None:
            return refusal
        # 4. The category is collected from this subject.
        uses = self._collected[subject].get(category)
        if uses is None:
            return Decision(
                False, Reason.CATEGORY_NOT_COLLECTED, f"subjects.{subject}.data[{category}]"
            )
        # 5. No prohibition rules the use out.
        for rule_categories, rule_uses, promise, index in self._prohibitions:
            if any(is_within(category, c) for c in rule_categories) and any(
                is_within(purpose, u) for u in rule_uses
            ):
                return Decision(False, Reason.PROHIBITED_USE, f"prohibitions[{index}]", promise)
        # 6. The category may serve the purpose.
        if not any(is_within(purpose, use) for use in uses):
            promise = "VIS-5" if subject == SubjectKind.VISITOR.value else "ACC-4"
            return Decision(
                False,
                Reason.PURPOSE_NOT_ALLOWED,
                f"subjects.{subject}.data[{category}].purposes",
                promise,
            )
        refusal = self._role_rule(role, purpose)
        return ALLOW if refusal is None else refusal

"""The linter: contradictions a valid policy file can still contain.

Each rule is a function that takes the loaded policy and yields issues. Errors
stop `hippocratic policy check` (exit 1); warnings are listed. The rules are
listed in RULES, in the order they run, so the list reads as the rule book.
"""

import dataclasses
from collections.abc import Callable, Iterator

from hippocratic.policy.enforced import Enforced
from hippocratic.policy.errors import PolicyIssue, Severity
from hippocratic.policy.loader import LoadedPolicy
from hippocratic.policy.models import (
    SENDER_CATEGORY,
    ChannelKind,
    ChoiceKind,
    Policy,
    RecipientKind,
    SubjectKind,
    VisitorLogField,
)
from hippocratic.policy.taxonomy import is_within

Rule = Callable[[LoadedPolicy], Iterator[PolicyIssue]]

PAYMENT_CATEGORIES = ("user.financial", "user.payment")
BUSINESS_DATA = "user.content"
MARKETING = "marketing"


def lint(
    loaded: LoadedPolicy, enforced: Enforced | None = None, *, strict: bool = False
) -> list[PolicyIssue]:
    """Every issue the rules find, errors first, each group in file order.

    With `enforced` (what this build keeps), promises the build does not keep are
    reported too, as warnings, or as errors when `strict`; and declared cookies the
    build never sets, as warnings (the page leaves them out).
    """
    issues = [_coded(issue, rule) for rule in RULES for issue in rule(loaded)]
    if enforced is not None:
        severity = Severity.ERROR if strict else Severity.WARNING
        issues += [
            dataclasses.replace(_coded(issue, unenforced_promise), severity=severity)
            for issue in unenforced_promise(loaded, enforced)
        ]
        issues += [
            dataclasses.replace(_coded(issue, cookie_never_set), severity=Severity.WARNING)
            for issue in cookie_never_set(loaded, enforced)
        ]
    return sorted(issues, key=lambda i: (i.severity is Severity.WARNING, i.line, i.column))


def rule_code(rule: Callable) -> str:
    """A rule's code, as issues carry it: its function's name, with dashes."""
    return rule.__name__.replace("_", "-")


def _coded(issue: PolicyIssue, rule: Callable) -> PolicyIssue:
    return dataclasses.replace(issue, rule=rule_code(rule))


def errors(issues: list[PolicyIssue]) -> list[PolicyIssue]:
    return [issue for issue in issues if issue.severity is Severity.ERROR]


def _collects(policy: Policy, ancestor: str, subject: SubjectKind | None = None) -> bool:
    return any(is_within(c, ancestor) for c in policy.collected_categories(subject))


# --- contradictions between sections -------------------------------------------------


def recipient_gets_uncollected_category(loaded: LoadedPolicy) -> Iterator[PolicyIssue]:
    """A recipient may only receive what is collected from the subjects it serves."""
    policy = loaded.policy
    for i, recipient in enumerate(policy.recipients):
        collected = set().union(*(policy.collected_categories(s) for s in recipient.subjects))
        for j, category in enumerate(recipient.categories):
            if not any(is_within(c, category) or is_within(category, c) for c in collected):
                yield loaded.source.issue(
                    ("recipients", i, "categories", j),
                    f"'{recipient.name}' is given '{category}', which is never collected "
                    f"from {', '.join(s.value for s in recipient.subjects)}",
                    "a category listed under subjects.*.data",
                )


def use_forbidden_elsewhere(loaded: LoadedPolicy) -> Iterator[PolicyIssue]:
    """A data item may not serve a use that a prohibition rules out for its category."""
    policy = loaded.policy
    for rule in policy.prohibitions:
        for kind, subject in policy.subjects.items():
            for i, item in enumerate(subject.data):
                if not any(is_within(item.category, c) for c in rule.categories):
                    continue
                for j, use in enumerate(item.purposes):
                    if any(is_within(use, banned) for banned in rule.uses):
                        yield loaded.source.issue(
                            ("subjects", kind.value, "data", i, "purposes", j),
                            f"'{item.field}' ({item.category}) may not serve '{use}': "
                            f'the policy says "{rule.statement}"',
                            "a purpose the prohibitions allow",
                            promise=rule.promise or "",
                        )
        for i, recipient in enumerate(policy.recipients):
            if recipient.kind not in (RecipientKind.MARKETING_PARTNER, RecipientKind.ADVERTISER):
                continue
            if not any(is_within(use, MARKETING) for use in rule.uses):
                continue
            for j, category in enumerate(recipient.categories):
                if any(is_within(category, c) for c in rule.categories):
                    yield loaded.source.issue(
                        ("recipients", i, "categories", j),
                        f"marketing recipient '{recipient.name}' is given '{category}', "
                        f"which the policy rules out for marketing",
                        "no prohibited category for a marketing recipient",
                        promise=rule.promise or "",
                    )


def optional_field_required_by_purpose(loaded: LoadedPolicy) -> Iterator[PolicyIssue]:
    """A purpose that cannot work without a category makes an optional field a trap."""
    policy = loaded.policy
    for kind, subject in policy.subjects.items():
        for i, item in enumerate(subject.data):
            if item.required:
                continue
            for use in item.purposes:
                needs = policy.purposes[use].requires
                if any(is_within(item.category, needed) for needed in needs):
                    yield loaded.source.issue(
                        ("subjects", kind.value, "data", i, "required"),
                        f"'{item.field}' is optional but purpose '{use}' requires {item.category}",
                        "required: true, or a purpose that can do without it",
                    )


def cookie_purpose(loaded: LoadedPolicy) -> Iterator[PolicyIssue]:
    """An optional cookie cannot be essential, nor a mandatory one marketing."""
    for i, cookie in enumerate(loaded.policy.cookies):
        if not cookie.optional and is_within(cookie.purpose, MARKETING):
            yield loaded.source.issue(
                ("cookies", i, "optional"),
                f"cookie '{cookie.name}' serves marketing but cannot be refused",
                "optional: true",
            )


def retention_shorter_than_deadline(loaded: LoadedPolicy) -> Iterator[PolicyIssue]:
    """Data an opt-out acts on must outlive the deadline for honouring it."""
    policy = loaded.policy
    for choice in policy.choices:
        if choice.kind is not ChoiceKind.OPT_OUT or choice.deadline is None:
            continue
        days, business = choice.deadline
        # Business days are longer in calendar days: a week has five, holidays take more.
        longest = -(-days * 7 // 5) + 14 if business else days
        for kind, subject in policy.subjects.items():
            if kind not in choice.subjects:
                continue
            for i, item in enumerate(subject.data):
                kept = item.retention.days if item.retention else None
                if kept and set(item.purposes) & set(choice.uses) and kept < longest:
                    yield loaded.source.issue(
                        ("subjects", kind.value, "data", i, "retention", "days"),
                        f"'{item.field}' is kept {kept} day(s) but '{choice.name}' may take "
                        f"{longest}",
                        f"at least {longest} days",
                    )


def advertisers_get_aggregates(loaded: LoadedPolicy) -> Iterator[PolicyIssue]:
    for i, recipient in enumerate(loaded.policy.recipients):
        if recipient.kind is RecipientKind.ADVERTISER and not recipient.aggregates_only:
            yield loaded.source.issue(
                ("recipients", i, "aggregates_only"),
                f"advertiser '{recipient.name}' would receive more than aggregates",
                "aggregates_only: true",
                promise="VIS-7",
            )
        if recipient.kind is RecipientKind.CONTENT_PROVIDER and recipient.categories:
            yield loaded.source.issue(
                ("recipients", i, "categories"),
                f"content provider '{recipient.name}' is given personal data",
                "no categories for a content provider",
                promise="DIS-7",
            )


def visitor_data_purposes(loaded: LoadedPolicy) -> Iterator[PolicyIssue]:
    """The visitor log serves traffic analysis; diagnostics keep their own purpose."""
    policy = loaded.policy
    visitor = policy.subjects.get(SubjectKind.VISITOR)
    if visitor is None or policy.visitor_log is None:
        return
    logged = {f.value for f in policy.visitor_log.fields}
    for i, item in enumerate(visitor.data):
        if item.field in logged and not all(is_within(u, "analytics") for u in item.purposes):
            yield loaded.source.issue(
                ("subjects", "visitor", "data", i, "purposes"),
                f"visitor-log field '{item.field}' serves more than traffic analysis",
                "analytics.* purposes only",
                promise="VIS-5",
            )


def retention_declared(loaded: LoadedPolicy) -> Iterator[PolicyIssue]:
    for kind, subject in loaded.policy.subjects.items():
        for i, item in enumerate(subject.data):
            if item.retention is None:
                yield loaded.source.issue(
                    ("subjects", kind.value, "data", i),
                    f"'{item.field}' has no retention period",
                    "a 'retention' with days",
                    severity=Severity.WARNING,
                )


def unused_purpose(loaded: LoadedPolicy) -> Iterator[PolicyIssue]:
    policy = loaded.policy
    used = {u for _, item in policy.data_items() for u in item.purposes}
    used |= {cookie.purpose for cookie in policy.cookies}
    for key in policy.purposes:
        if key not in used:
            yield loaded.source.issue(
                ("purposes", key),
                f"purpose '{key}' is declared but no data or cookie serves it",
                "a data item or cookie that names it, or no declaration",
                severity=Severity.WARNING,
                at_key=True,
            )


def notice_contradiction(loaded: LoadedPolicy) -> Iterator[PolicyIssue]:
    """POL-5: 'thirty (10) business days' is flagged; the longer notice applies."""
    notice = loaded.policy.changes.notice
    if notice is not None and notice.contradictory:
        readings = " and ".join(str(r) for r in notice.readings)
        yield loaded.source.issue(
            ("changes", "notice"),
            f"'{notice.text}' reads as both {readings} business days; "
            f"the stricter reading, {notice.days}, applies",
            "one number, written once",
            severity=Severity.WARNING,
            promise="POL-5",
        )


# --- promises against structure ------------------------------------------------------
# A promise switched on must be backed by the sections that make it true, and a
# structure that only a promise allows must have that promise switched on.


def _payment_processor(policy: Policy) -> bool:
    return bool(policy.recipients_of(RecipientKind.PAYMENT_PROCESSOR))


def _logs(policy: Policy, *fields: VisitorLogField) -> bool:
    return policy.visitor_log is not None and any(f in policy.visitor_log.fields for f in fields)


def _has_cookie(policy: Policy, purpose: str, *, optional: bool, persistent: bool | None = None):
    return any(
        is_within(c.purpose, purpose)
        and c.optional is optional
        and (persistent is None or (c.max_age_days is not None) is persistent)
        for c in policy.cookies
    )


def _unsubscribe_by_email(policy: Policy) -> bool:
    return any(
        channel.kind is ChannelKind.EMAIL and channel.contact == "unsubscribe"
        and channel.subject_line and choice.deadline is not None
        for choice in policy.choices for channel in choice.channels
    )  # fmt: skip


def _prohibits(policy: Policy, categories: tuple[str, ...], use: str) -> bool:
    return any(
        any(is_within(c, p) or is_within(p, c) for c in rule.categories for p in categories)
        and any(is_within(u, use) for u in rule.uses)
        for rule in policy.prohibitions
    )


# promise ID -> (what it needs, in words; the test on the policy)
REQUIREMENTS: dict[str, tuple[str, Callable[[Policy], bool]]] = {
    "VIS-2": ("a visitor log with isp_domain, time and path", lambda p: p.visitor_log is not None
              and {"isp_domain", "time", "path"} <= {f.value for f in p.visitor_log.fields}),
    "VIS-4": ("no e-mail or IP address collected from visitors",
              lambda p: not _collects(p, "user.contact.email", SubjectKind.VISITOR)
              and not _collects(p, "user.device.ip_address", SubjectKind.VISITOR)),
    "VIS-6": ("visitor_log.unique_visitors: true",
              lambda p: p.visitor_log is not None and p.visitor_log.unique_visitors),
    "VIS-7": ("an advertiser recipient with aggregates_only: true",
              lambda p: any(r.aggregates_only for r in p.recipients_of(RecipientKind.ADVERTISER))),
    "VIS-9": ("referrer_domain in visitor_log.fields",
              lambda p: _logs(p, VisitorLogField.REFERRER_DOMAIN)),
    "VIS-11": ("visitor IP addresses collected with a retention period",
               lambda p: any(i.retention for k, i in p.data_items() if k is SubjectKind.VISITOR
                             and is_within(i.category, "user.device.ip_address"))),
    "CK-2": ("an optional order-form cookie (purpose sales)",
             lambda p: _has_cookie(p, "sales", optional=True)),
    "CK-3": ("a mandatory authentication session cookie",
             lambda p: _has_cookie(p, "essential.service.authentication", optional=False,
                                   persistent=False)),
    "CK-4": ("an optional persistent authentication cookie",
             lambda p: _has_cookie(p, "essential.service.authentication", optional=True,
                                   persistent=True)),
    "CK-5": ("an optional affiliate session cookie (purpose marketing)",
             lambda p: _has_cookie(p, "marketing", optional=True, persistent=False)),
    "ACC-2": ("optional customer fields", lambda p: any(
        not i.required for k, i in p.data_items() if k is SubjectKind.CUSTOMER)),
    "ACC-6": ("a prospect subject", lambda p: SubjectKind.PROSPECT in p.subjects),
    "ACC-8": ("a deletion choice", lambda p: any(
        c.kind is ChoiceKind.DELETION for c in p.choices)),
    "PAY-1": ("payment data collected and a payment processor",
              lambda p: _collects(p, "user.financial") and _payment_processor(p)),
    "PAY-2": ("a prohibition of marketing uses of payment data",
              lambda p: _prohibits(p, PAYMENT_CATEGORIES, MARKETING)),
    "PAY-3": ("no payment data collected and no payment processor",
              lambda p: not any(_collects(p, c) for c in PAYMENT_CATEGORIES)
              and not _payment_processor(p)),
    "COM-1": ("a communications section with a mailbox_domain, and a customer data item of "
              "its category kept until delivery (retention after: delivery)",
              lambda p: p.mailbox_item() is not None),
    "COM-3": ("communications disclosure grounds", lambda p: p.communications is not None
              and len(p.communications.disclosure_grounds) > 0),
    "COM-4": ("communications.moderation: true",
              lambda p: p.communications is not None and p.communications.moderation),
    "COM-5": ("hosted data with staff_access: customer_permission",
              lambda p: p.communications is not None and p.communications.hosted_data is not None
              and p.communications.hosted_data.staff_access == "customer_permission"),
    "DIS-3": ("a marketing partner the customer can opt out of", lambda p: any(
        r.opt_out for r in p.recipients_of(RecipientKind.MARKETING_PARTNER))),
    "DIS-4": ("a referral partner given no business data", lambda p: bool(
        p.recipients_of(RecipientKind.REFERRAL_PARTNER)) and not any(
        is_within(c, BUSINESS_DATA) for r in p.recipients_of(RecipientKind.REFERRAL_PARTNER)
        for c in r.categories)),
    "DIS-5": ("an integration partner", lambda p: bool(
        p.recipients_of(RecipientKind.INTEGRATION_PARTNER))),
    "DIS-6": ("a payment processor with may_retain: false", lambda p: bool(
        p.recipients_of(RecipientKind.PAYMENT_PROCESSOR)) and not any(
        r.may_retain for r in p.recipients_of(RecipientKind.PAYMENT_PROCESSOR))),
    "DIS-7": ("a content provider recipient", lambda p: bool(
        p.recipients_of(RecipientKind.CONTENT_PROVIDER))),
    "MSG-2": ("an opt-out of marketing e-mail", lambda p: any(
        c.kind is ChoiceKind.OPT_OUT and any(is_within(u, "marketing") for u in c.uses)
        for c in p.choices)),
    "MSG-3": ("an unsubscribe e-mail channel with a subject line and a deadline",
              _unsubscribe_by_email),
    "MSG-4": ("opting out by reply", lambda p: any(
        ch.kind is ChannelKind.REPLY for c in p.choices for ch in c.channels)),
    "MSG-5": ("an unsubscribe-link channel", lambda p: any(
        ch.kind is ChannelKind.UNSUBSCRIBE_LINK for c in p.choices for ch in c.channels)),
    "CH-2": ("a question choice", lambda p: any(
        c.kind is ChoiceKind.QUESTION for c in p.choices)),
    "POL-3": ("changes.notice", lambda p: p.changes.notice is not None),
}  # fmt: skip

# Structure that only a promise allows: (structure in words, test, the promise it needs).
CONVERSE: tuple[tuple[str, Callable[[Policy], bool], str], ...] = (
    ("the visitor log records the browser, OS or referrer",
     lambda p: _logs(p, VisitorLogField.BROWSER_FAMILY, VisitorLogField.OS_FAMILY,
                     VisitorLogField.REFERRER_DOMAIN), "VIS-3"),
    ("visitor IP addresses are collected", lambda p: _collects(
        p, "user.device.ip_address", SubjectKind.VISITOR), "VIS-11"),
    ("payment data is collected", lambda p: _collects(p, "user.financial"), "PAY-1"),
    ("customer data goes to a referral partner",
     lambda p: bool(p.recipients_of(RecipientKind.REFERRAL_PARTNER)), "DIS-4"),
    ("customer data goes to an integration partner",
     lambda p: bool(p.recipients_of(RecipientKind.INTEGRATION_PARTNER)), "DIS-5"),
    ("customer data goes to marketing partners",
     lambda p: bool(p.recipients_of(RecipientKind.MARKETING_PARTNER)), "DIS-3"),
    ("aggregates go to advertisers",
     lambda p: bool(p.recipients_of(RecipientKind.ADVERTISER)), "VIS-7"),
)  # fmt: skip


def promises_backed_by_structure(loaded: LoadedPolicy) -> Iterator[PolicyIssue]:
    policy = loaded.policy
    for i, promise_id in enumerate(policy.promises):
        requirement = REQUIREMENTS.get(promise_id)
        if requirement and not requirement[1](policy):
            yield loaded.source.issue(
                ("promises", i),
                f"{promise_id} is promised but the policy does not provide for it",
                requirement[0],
                promise=promise_id,
            )
    for what, test, promise_id in CONVERSE:
        if test(policy) and not policy.makes(promise_id):
            yield loaded.source.issue(
                ("promises",),
                f"{what}, but {promise_id} is not promised",
                f"{promise_id} in promises",
                promise=promise_id,
            )
    if policy.makes("PAY-1") and policy.makes("PAY-3"):
        yield loaded.source.issue(
            ("promises",), "PAY-1 and PAY-3 contradict each other", "one of them", promise="PAY-3"
        )


def mail_channel_keeps_no_sender(loaded: LoadedPolicy) -> Iterator[PolicyIssue]:
    """A request by mail is answered at its sender's address: a choice may take mail
    only where the policy collects customers' e-mail addresses (Policy.keeps_senders;
    elsewhere the contact form and the account pages take requests)."""
    policy = loaded.policy
    if policy.keeps_senders:
        return
    for i, choice in enumerate(policy.choices):
        for j, channel in enumerate(choice.channels):
            if channel.kind is ChannelKind.EMAIL:
                yield loaded.source.issue(
                    ("choices", i, "channels", j),
                    f"'{choice.key}' takes requests by mail, but the policy does not collect "
                    f"{SENDER_CATEGORY}, so no request can keep who sent it",
                    f"{SENDER_CATEGORY} collected from customers, or another channel "
                    "(portal, online_form)",
                )


def contact_form_channel_without_form(loaded: LoadedPolicy) -> Iterator[PolicyIssue]:
    """A choice taken through an online form (other than questions, which have their
    own form) is taken by the contact form: the support contact must name one."""
    policy = loaded.policy
    if policy.provider.contacts.support.online_form:
        return
    for i, choice in enumerate(policy.choices):
        for j, channel in enumerate(choice.channels):
            if channel.kind is ChannelKind.ONLINE_FORM and choice.kind is not ChoiceKind.QUESTION:
                yield loaded.source.issue(
                    ("choices", i, "channels", j),
                    f"'{choice.key}' is taken through the contact form, but the support "
                    "contact names none",
                    "online_form: true under provider.contacts.support",
                )


RULES: tuple[Rule, ...] = (
    recipient_gets_uncollected_category,
    use_forbidden_elsewhere,
    optional_field_required_by_purpose,
    cookie_purpose,
    retention_shorter_than_deadline,
    advertisers_get_aggregates,
    visitor_data_purposes,
    promises_backed_by_structure,
    retention_declared,
    unused_purpose,
    notice_contradiction,
    mail_channel_keeps_no_sender,
    contact_form_channel_without_form,
)


# --- promises against this build -----------------------------------------------------
# A policy file may promise more than this version of Hippocratic enforces. The
# page never states such a promise; these rules say which they are.


def unenforced_promise(loaded: LoadedPolicy, enforced: Enforced) -> Iterator[PolicyIssue]:
    for i, promise_id in enumerate(loaded.policy.promises):
        if not enforced.keeps(promise_id):
            yield loaded.source.issue(
                ("promises", i),
                f"{promise_id} is promised but not enforced by this version of Hippocratic",
                promise=promise_id,
            )


def cookie_never_set(loaded: LoadedPolicy, enforced: Enforced) -> Iterator[PolicyIssue]:
    for i, cookie in enumerate(loaded.policy.cookies):
        if not enforced.sets(cookie.name):
            yield loaded.source.issue(
                ("cookies", i, "name"),
                f"cookie '{cookie.name}' is declared but this version of Hippocratic never "
                "sets it, so the page leaves it out",
            )

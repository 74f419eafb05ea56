"""Render a policy as the privacy policy a provider publishes (POL-1, POL-2).

The text is built once, as a small document model (sections of paragraphs,
lists and tables), from the same Policy the software enforces; `to_markdown`
and `to_html` only change the notation. A paragraph that states a promise
carries its ID, which becomes the anchor on the public page.
"""

import html
from dataclasses import dataclass, field

from hippocratic.policy.models import (
    ChannelKind,
    Choice,
    ChoiceKind,
    Communications,
    Ground,
    Policy,
    RecipientKind,
    SubjectKind,
    VisitorLogField,
)
from hippocratic.policy.taxonomy import category_names, is_within


@dataclass(frozen=True)
class Paragraph:
    text: str
    promise: str = ""


@dataclass(frozen=True)
class Bullets:
    items: tuple[str, ...]


@dataclass(frozen=True)
class Table:
    headers: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


Block = Paragraph | Bullets | Table


@dataclass
class Section:
    anchor: str
    title: str
    blocks: list[Block] = field(default_factory=list)

    def say(self, text: str, promise: str = "") -> None:
        self.blocks.append(Paragraph(text, promise))

    def state(self, policy: Policy, *promise_ids: str) -> None:
        """Add the public statement of each promise the policy makes."""
        for promise_id in promise_ids:
            if policy.makes(promise_id):
                self.say(STATEMENTS[promise_id], promise_id)


@dataclass
class Document:
    title: str
    revised: str
    sections: list[Section]


# The public statement of each promise, by its literal ID.
STATEMENTS = {
    "VIS-1": "You can visit our web site without identifying yourself or revealing any personal "
    "information: no public page asks you to sign in or to accept a cookie.",
    "VIS-4": "Our web server does not collect your e-mail address, your full Internet address, or "
    "any information on what other pages on the Web you have visited.",
    "VIS-6": "We compile aggregated, anonymous statistics such as the number of page views, the "
    "number of unique visitors (counted without cookies or any stored identifier) and the"
    " domains visitors come from.",
    "VIS-8": "Our site links to products and services of other companies. A site you follow a link"
    " to learns only that you came from our site, not which page.",
    "CK-1": "Preference cookies remember your choices; they hold no identity.",
    "CK-3": "The session cookie for our secure area carries only signed authentication for one "
    "session. If you refuse it, you cannot use the secure area, and we tell you so.",
    "CK-4": "A persistent, encrypted cookie that keeps you signed in is set only if you ask for "
    "it.",
    "CK-5": "When you follow a link from an affiliate or promotion, a session cookie names that "
    "affiliate. Accepting it is optional.",
    "ACC-3": "While you are a customer, we keep your account status, your choice of services and "
    "customer logs in the normal course of providing service.",
    "ACC-5": "We set up the Services for individuals and their organisations; an organisation may "
    "have several users.",
    "PAY-1": "Card numbers go straight to our payment processor. We keep only the processor's "
    "reference to your card, its brand and its last four digits; we never store or log a "
    "full card number.",
    "PAY-3": "We collect contact information only: we take no payment information on our web site.",
    "COM-2": "We do not censor, edit, or engage in ongoing review or surveillance of "
    "communications; our staff have no means to browse or search them in bulk.",
    "DIS-2": "We do not distribute or share customer e-mail addresses, except as our Terms of "
    "Service provide or the law requires.",
    "DIS-8": "You can see every disclosure of your data that the law allows.",
    "MSG-1": "We send bulletins and other important information about our services to every "
    "customer, whatever your marketing choices.",
    "MSG-6": "Your e-mail address may be used to tell you about new products; your billing "
    "information never is.",
    "CH-3": "Every request is tracked with its due date and what was done about it.",
    "VIS-10": "Records of individual visits are deleted when their period ends; only aggregate "
    "statistics remain.",
    "POL-4": "Every earlier version of this policy stays readable.",
    "SEC-1": "Your account is protected by a password. User names are unique, and passwords "
    "are stored only as slow, salted hashes.",
    "SEC-2": "We will never ask you for your password, by phone, by e-mail or otherwise, and "
    "no one here can see it.",
    "SEC-3": "Logging off ends your session on our servers, and you can end all of your "
    "sessions at once.",
    "SEC-4": "Our secure area is served only over encrypted connections, and session "
    "identifiers are random and replaced each time you log in.",
    "SEC-5": "Every access to personal data is checked against this policy and written to an "
    "audit log that shows any tampering.",
    "ACC-9": "Other than our authorised staff, you are the only person who can see your "
    "personal information.",
}

LOG_FIELDS = {
    VisitorLogField.ISP_DOMAIN: "your Internet service provider's domain (not your address)",
    VisitorLogField.TIME: "the time you accessed our web site",
    VisitorLogField.PATH: "the pages within our web site that you visit",
    VisitorLogField.BROWSER_FAMILY: "the kind of web browser you use",
    VisitorLogField.OS_FAMILY: "the kind of operating system you use",
    VisitorLogField.REFERRER_DOMAIN: "the site you came from, as its domain name only",
}

GROUNDS = {
    Ground.SERVICE_TO_CUSTOMER: "it is necessary in order to provide service to the customer",
    Ground.LEGITIMATE_INTEREST: "it is necessary to protect our legitimate interests and "
    "those of our customers",
    Ground.LEGAL_PROCESS: "it is required to cooperate with interception orders, warrants "
    "or other legal process that we determine to be valid and enforceable",
    Ground.CRIME_EVIDENCE: "it is to be provided to a law enforcement agency because the "
    "contents were inadvertently obtained by us and appear to pertain to a crime",
    Ground.HARM_PREVENTION: "it is necessary to identify, contact or bring legal action "
    "against someone who may be causing harm or interfering with our rights or property, "
    "our customers' or others'",
    Ground.LEGAL_REQUIREMENT: "we have a good-faith belief that the law requires it",
    Ground.TERMS_OF_SERVICE: "our Terms of Service provide for it",
    Ground.PAYMENT_PROCESSING: "it is needed to process your payment",
    Ground.JOINT_CUSTOMER: "you are a customer of both of us",
    Ground.INTEGRATED_SERVICE: "you use the integrated service",
    Ground.PARTNER_OFFERS: "it lets us tell you about products or partner programmes",
    Ground.TRAFFIC_STATISTICS: "the figures describe the traffic on our site as a whole",
}

CHOICE_VERBS = {
    ChoiceKind.OPT_OUT: "Opt out",
    ChoiceKind.ACCESS: "See your information",
    ChoiceKind.CORRECTION: "Correct or update your information",
    ChoiceKind.DELETION: "Have your information deleted",
    ChoiceKind.DISCONTINUE: "Discontinue a service",
    ChoiceKind.QUESTION: "Ask a question",
}


def build_document(policy: Policy) -> Document:
    name = policy.provider.name
    sections = [_introduction(policy)]
    if SubjectKind.VISITOR in policy.subjects:
        sections.append(_visitors(policy))
    if policy.cookies:
        sections.append(_cookies(policy))
    if SubjectKind.PROSPECT in policy.subjects:
        sections.append(_subject_section(policy, SubjectKind.PROSPECT, "prospects"))
    if SubjectKind.CUSTOMER in policy.subjects:
        sections.append(_customers(policy))
    if policy.communications is not None:
        sections.append(_communications(policy, policy.communications))
    sections.append(_disclosure(policy))
    sections.append(_choices(policy))
    sections.append(_security(policy))
    sections.append(_retention(policy))
    sections.append(_changes(policy))
    sections.append(_contact(policy))
    # A paragraph anchors a promise only where this policy makes that promise.
    for section in sections:
        section.blocks = [
            Paragraph(b.text) if isinstance(b, Paragraph) and not policy.makes(b.promise) else b
            for b in section.blocks
        ]
    return Document(
        title=f"{name} privacy policy",
        revised=policy.revision.date.isoformat(),
        sections=sections,
    )


# --- sections ------------------------------------------------------------------------


def _introduction(policy: Policy) -> Section:
    section = Section("introduction", "Our commitment")
    section.say(policy.introduction)
    section.state(policy, "VIS-1")
    if policy.makes("ACC-4"):
        section.say(
            "Once you choose to give us personally identifiable information, it will only "
            f"be used to support your customer relationship with {policy.provider.name}.",
            "ACC-4",
        )
    section.say(
        f"This policy is published from the same file that {_possessive(policy.provider.name)} "
        "systems "
        "enforce: what you read here is what the software does.",
        "POL-1",
    )
    return section


def _visitors(policy: Policy) -> Section:
    section = Section("visitors", "Visitors to our web site")
    log = policy.visitor_log
    if log is not None:
        fields = tuple(LOG_FIELDS[f] for f in log.fields)
        section.say("When you visit our web site, our web server records:", "VIS-2")
        section.blocks.append(Bullets(fields))
        if VisitorLogField.REFERRER_DOMAIN in log.fields:
            section.say(
                "The page you came from is kept only as its site's domain, and only when it "
                "is another site.",
                "VIS-9",
            )
    if policy.makes("VIS-3") and log is not None:
        omitted = [
            LOG_FIELDS[f]
            for f in (VisitorLogField.BROWSER_FAMILY, VisitorLogField.REFERRER_DOMAIN)
            if f not in log.fields
        ]
        if omitted:
            section.say("We do not record " + " or ".join(omitted) + ".", "VIS-3")
    others = [
        i for i in policy.subjects[SubjectKind.VISITOR].data
        if log is None or i.field not in {f.value for f in log.fields}
    ]  # fmt: skip
    for item in others:
        uses = _uses(policy, item.purposes)
        retention = f", and kept for {_days(item.retention.days)}" if item.retention else ""
        section.say(
            f"We may also log {_lower(item.label)}s: only to {uses}{retention}.",
            "VIS-11" if is_within(item.category, "user.device.ip_address") else "",
        )
    section.state(policy, "VIS-4")
    if log is not None:
        visitor_uses = {u for f in log.fields for u in _item_purposes(policy, f.value)}
        section.say(
            f"This information is used only to {_uses(policy, sorted(visitor_uses))}.", "VIS-5"
        )
    section.state(policy, "VIS-6")
    if policy.makes("VIS-7") and log is not None:
        section.say(
            "We may disclose aggregate information on our site's traffic to third parties, "
            "such as advertising companies. Any figure that counts fewer than "
            f"{log.aggregate_min_group} visitors is folded into 'other', so no one can be "
            "singled out.",
            "VIS-7",
        )
    section.state(policy, "VIS-8")
    return section


def _cookies(policy: Policy) -> Section:
    section = Section("cookies", "Cookies")
    section.say(
        "Cookies are small pieces of information that a web site stores in your browser. "
        "We set only the cookies listed here; our software refuses to set any other.",
        "CK-6",
    )
    rows = tuple(
        (
            cookie.name,
            cookie.description,
            policy.purposes[cookie.purpose].name,
            f"{_days(cookie.max_age_days)}"
            if cookie.max_age_days
            else "until you close your browser",
            "optional" if cookie.optional else "required",
        )
        for cookie in policy.cookies
    )
    section.blocks.append(Table(("Cookie", "What it holds", "Purpose", "Kept", "Choice"), rows))
    section.state(policy, "CK-1", "CK-3", "CK-4", "CK-5")
    return section


def _subject_section(policy: Policy, kind: SubjectKind, anchor: str) -> Section:
    subject = policy.subjects[kind]
    section = Section(anchor, subject.name)
    section.say(subject.description, "ACC-6" if kind is SubjectKind.PROSPECT else "")
    if subject.data:
        section.blocks.append(_data_table(policy, subject.data))
    return section


def _customers(policy: Policy) -> Section:
    section = _subject_section(policy, SubjectKind.CUSTOMER, "customers")
    subject = policy.subjects[SubjectKind.CUSTOMER]
    asked = [
        _lower(i.label) for i in subject.data if "sign_up" in {p.value for p in i.collected_at}
    ]
    if asked:
        section.say("When you sign up, we ask for " + _join(asked) + ".", "ACC-1")
    optional = [_lower(i.label) for i in subject.data if not i.required]
    if optional and policy.makes("ACC-2"):
        section.say(
            f"Giving us {_join(optional)} is optional wherever we ask for it: you can opt "
            "out of providing additional information by not entering it.",
            "ACC-2",
        )
    section.state(policy, "ACC-3", "ACC-5", "PAY-1", "PAY-3")
    for rule in policy.prohibitions:
        section.say(rule.statement, rule.promise or "")
    return section


def _communications(policy: Policy, comms: Communications) -> Section:
    section = Section("communications", "Your communications")
    section.say(
        "We may store your electronic mail and other communications only as a necessary "
        "incident to transmitting and delivering them.",
        "COM-1",
    )
    if comms.disclosure_grounds:
        section.say(
            "We will not disclose the contents of your communications to third parties except "
            "when:",
            "COM-3",
        )
        section.blocks.append(Bullets(tuple(GROUNDS[g] for g in comms.disclosure_grounds)))
    section.state(policy, "COM-2")
    if comms.moderation:
        section.say(
            "We will, however, review, delete or block access to communications that may "
            "harm us, our customers or third parties, for example for violations of our terms, "
            "and we record the ground each time.",
            "COM-4",
        )
    if comms.hosted_data is not None:
        if comms.hosted_data.staff_access == "customer_permission":
            section.say(
                "We will not review, share, distribute, print or reference the data you keep in "
                "our online applications. We view an individual record only with your "
                "permission, for example to resolve a support issue; a permission lasts "
                f"{comms.hosted_data.permission_hours} hours and every view is logged.",
                "COM-5",
            )
        else:
            section.say("Our staff never view the data you keep in our online applications.")
    return section


def _disclosure(policy: Policy) -> Section:
    section = Section("sharing", "Sharing and disclosure")
    for recipient in policy.recipients:
        if recipient.kind is RecipientKind.LAW_ENFORCEMENT:
            continue
        what = (
            "aggregate statistics only"
            if recipient.aggregates_only
            else _join([_category_name(policy, c) for c in recipient.categories]) or "nothing"
        )
        grounds = _join([GROUNDS[g] for g in recipient.grounds], "or")
        text = f"{recipient.name}: {recipient.description} They receive {what}, when {grounds}."
        if not recipient.categories and not recipient.aggregates_only:
            text = (
                f"{recipient.name}: {recipient.description} They may not collect any "
                "information, and we share no personal information with them."
            )
        if not recipient.may_retain:
            text += " They may not store, retain or use it for any other purpose."
        if recipient.opt_out:
            text += " You can ask us never to share your information with them."
        section.say(text, _recipient_promise(policy, recipient.kind))
    section.state(policy, "DIS-2")
    grounds = [
        g for r in policy.recipients_of(RecipientKind.LAW_ENFORCEMENT) for g in r.grounds
        if g in (Ground.HARM_PREVENTION, Ground.LEGAL_REQUIREMENT)
    ]  # fmt: skip
    if grounds:
        section.say(
            "We will not otherwise disclose customer personal and account information unless "
            + _join([GROUNDS[g] for g in dict.fromkeys(grounds)], "or")
            + ". Every disclosure records its ground, who approved it and exactly what left.",
            "DIS-1",
        )
    section.state(policy, "DIS-8")
    return section


def _recipient_promise(policy: Policy, kind: RecipientKind) -> str:
    promise = {
        RecipientKind.PAYMENT_PROCESSOR: "DIS-6",
        RecipientKind.REFERRAL_PARTNER: "DIS-4",
        RecipientKind.INTEGRATION_PARTNER: "DIS-5",
        RecipientKind.MARKETING_PARTNER: "DIS-3",
        RecipientKind.ADVERTISER: "VIS-7",
        RecipientKind.CONTENT_PROVIDER: "DIS-7",
    }.get(kind, "")
    return promise


def _choices(policy: Policy) -> Section:
    section = Section("choices", "Your choices")
    section.state(policy, "MSG-1", "MSG-6")
    rows = tuple(
        (
            f"{CHOICE_VERBS[c.kind]}: {c.name}",
            _join([_channel(policy, ch) for ch in c.channels], "or"),
            _timing(c),
        )
        for c in policy.choices
    )
    if rows:
        section.blocks.append(Table(("What you can do", "How", "When it is done"), rows))
    section.state(policy, "CH-3")
    return section


def _channel(policy: Policy, channel) -> str:
    contacts = policy.provider.contacts
    if channel.kind is ChannelKind.EMAIL:
        address = getattr(contacts, channel.contact).email
        text = f"e-mail {address}" if address else "our online form"
        if channel.subject_line:
            text += f' with "{channel.subject_line}" in the subject line'
        return text
    return {
        ChannelKind.PORTAL: "your account pages",
        ChannelKind.REPLY: "replying to the message",
        ChannelKind.ONLINE_FORM: "our online form",
        ChannelKind.UNSUBSCRIBE_LINK: "the unsubscribe link in every such message",
    }[channel.kind]


def _timing(choice: Choice) -> str:
    if choice.usual_days and choice.deadline_days:
        return (
            f"usually within {_days(choice.usual_days)}, always within "
            f"{_days(choice.deadline_days)}"
        )
    if choice.deadline_days:
        return f"within {_days(choice.deadline_days)}"
    return "at any time"


def _security(policy: Policy) -> Section:
    section = Section("security", "Security")
    section.state(policy, "SEC-1", "SEC-2", "SEC-3", "SEC-4", "SEC-5", "ACC-9")
    if not section.blocks:
        section.say("We protect the information we hold against loss, misuse and alteration.")
    return section


def _retention(policy: Policy) -> Section:
    section = Section("retention", "How long we keep information")
    rows = []
    for kind, item in policy.data_items():
        if item.retention is None:
            continue
        start = "after your account closes" if item.retention.after == "account_closure" else ""
        legal = " (required by law; kept even if you ask us to delete your data)"
        rows.append(
            (
                f"{item.label} ({policy.subjects[kind].name.lower()})",
                " ".join(filter(None, [_days(item.retention.days), start]))
                + (legal if item.retention.legally_required else ""),
            )
        )
    if rows:
        section.blocks.append(Table(("Information", "Kept for"), tuple(rows)))
    section.state(policy, "VIS-10")
    return section


def _changes(policy: Policy) -> Section:
    section = Section("changes", "Changes to this policy")
    notice = policy.changes.notice
    if notice is not None:
        section.say(
            f"If we change this policy, we will tell you at least {notice.days} business days "
            "before the change takes effect. " + policy.changes.how_to_respond,
            "POL-3",
        )
    else:
        section.say(f"{policy.provider.name} may change this policy by publishing a new version.")
    section.state(policy, "POL-4")
    section.say(f"This policy was last revised on {_long_date(policy)}.", "POL-2")
    return section


def _contact(policy: Policy) -> Section:
    section = Section("contact", "Contact us")
    contacts = policy.provider.contacts
    labels = {
        "support": "Support and corrections",
        "unsubscribe": "Removal from mailing lists",
        "security": "Your choices and security",
        "privacy_questions": "Questions about this policy",
    }
    items = []
    for key, label in labels.items():
        contact = getattr(contacts, key)
        if contact is None:
            continue
        how = [contact.email] if contact.email else []
        if contact.online_form:
            how.append("our online form")
        items.append(f"{label}: {' or '.join(how)}")
    section.blocks.append(Bullets(tuple(items)))
    section.say(f"{policy.provider.name}, {policy.provider.website}")
    return section


# --- words ---------------------------------------------------------------------------


def _join(words: list[str] | tuple[str, ...], last: str = "and") -> str:
    words = list(words)
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + f" {last} " + words[-1]


def _lower(label: str) -> str:
    """Lower-case a label's first letter, leaving acronyms such as ISP alone."""
    return label if label[:2].isupper() else label[:1].lower() + label[1:]


def _possessive(name: str) -> str:
    return f"{name}'" if name.endswith("s") else f"{name}'s"


def _days(days: int) -> str:
    if days % 365 == 0:
        years = days // 365
        return f"{years} year{'s' if years > 1 else ''}"
    return f"{days} day{'s' if days != 1 else ''}"


def _uses(policy: Policy, keys) -> str:
    return _join([_lower(policy.purposes[k].name) for k in keys])


def _item_purposes(policy: Policy, field_name: str) -> tuple[str, ...]:
    for item in policy.subjects[SubjectKind.VISITOR].data:
        if item.field == field_name:
            return item.purposes
    return ()


def _category_name(policy: Policy, key: str) -> str:
    for custom in policy.taxonomy.data_categories:
        if custom.fides_key == key:
            return custom.name.lower()
    return category_names().get(key, key).lower()


def _data_table(policy: Policy, items) -> Table:
    rows = tuple(
        (
            item.label,
            "required" if item.required else "optional",
            _uses(policy, item.purposes),
        )
        for item in items
    )
    return Table(("Information", "Required?", "Used to"), rows)


def _long_date(policy: Policy) -> str:
    date = policy.revision.date
    return f"{date.strftime('%B')} {date.day}, {date.year}"


# --- notations -----------------------------------------------------------------------


def to_markdown(policy: Policy) -> str:
    document = build_document(policy)
    lines = [f"# {document.title}", "", f"*Last revised: {_long_date(policy)}*", ""]
    for section in document.sections:
        lines += [f"## {section.title}", ""]
        for block in section.blocks:
            if isinstance(block, Paragraph):
                tag = f' <a id="{block.promise}"></a>' if block.promise else ""
                lines += [block.text + tag, ""]
            elif isinstance(block, Bullets):
                lines += [f"- {item}" for item in block.items] + [""]
            else:
                lines += [
                    "| " + " | ".join(block.headers) + " |",
                    "|" + "---|" * len(block.headers),
                    *("| " + " | ".join(c.replace("|", "\\|") for c in row) + " |"
                      for row in block.rows),
                    "",
                ]  # fmt: skip
    return "\n".join(lines).rstrip() + "\n"


def to_html(policy: Policy, *, standalone: bool = False) -> str:
    """The policy as HTML: an <article> fragment, or a whole page if `standalone`."""
    document = build_document(policy)
    esc = html.escape
    seen: set[str] = set()
    out = [
        '<article class="policy">',
        f"<h1>{esc(document.title)}</h1>",
        f'<p class="revised">Last revised: <time datetime="{document.revised}">'
        f"{esc(_long_date(policy))}</time></p>",
        '<nav aria-label="Sections"><ul>',
        *(f'<li><a href="#{s.anchor}">{esc(s.title)}</a></li>' for s in document.sections),
        "</ul></nav>",
    ]
    for section in document.sections:
        out.append(f'<section id="{section.anchor}"><h2>{esc(section.title)}</h2>')
        for block in section.blocks:
            if isinstance(block, Paragraph):
                attrs = ""
                if block.promise:
                    attrs = f' data-promise="{block.promise}"'
                    if block.promise not in seen:
                        attrs = f' id="{block.promise}"' + attrs
                        seen.add(block.promise)
                out.append(f"<p{attrs}>{esc(block.text)}</p>")
            elif isinstance(block, Bullets):
                out.append("<ul>" + "".join(f"<li>{esc(i)}</li>" for i in block.items) + "</ul>")
            else:
                head = "".join(f'<th scope="col">{esc(h)}</th>' for h in block.headers)
                body = "".join(
                    "<tr>" + "".join(f"<td>{esc(c)}</td>" for c in row) + "</tr>"
                    for row in block.rows
                )
                out.append(f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")
        out.append("</section>")
    out.append("</article>")
    fragment = "\n".join(out)
    if not standalone:
        return fragment
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{esc(document.title)}</title></head><body>\n{fragment}\n</body></html>\n"
    )

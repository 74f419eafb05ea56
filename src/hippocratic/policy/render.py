"""Render a policy as the privacy policy a provider publishes (POL-1, POL-2).

The text is built once, as a document (document.py: sections of paragraphs,
lists and tables), from the same Policy the software enforces; `to_markdown`
and `to_html` only change the notation. This module writes the sections: what
each says, and which promise each sentence states.

The page never says what the software does not do: a sentence that states a
promise is printed only where the policy makes the promise *and* this build
enforces it (`Enforced`), and the cookie table lists only the cookies the build
sets. Sentences printed without a promise state facts of the file (what is
collected, for what, for how long) that the gateway and retention enforce.
What no software can keep (disclaimers, advice) comes from the file's
`notices`, in a section of its own.
"""

import datetime as dt

from hippocratic.policy import prose
from hippocratic.policy.calendar import calendar_name
from hippocratic.policy.document import (
    TERMS_PATH,
    Bullets,
    Document,
    Heading,
    Page,
    Section,
    Table,
    as_html,
    as_markdown,
)
from hippocratic.policy.document import Paragraph as Paragraph  # for build_document's readers
from hippocratic.policy.enforced import Enforced
from hippocratic.policy.models import (
    ChannelKind,
    Choice,
    ChoiceKind,
    CollectionPoint,
    Communications,
    Ground,
    Policy,
    RecipientKind,
    SubjectKind,
    VisitorLogField,
)
from hippocratic.policy.taxonomy import is_within

LOG_FIELDS = {
    VisitorLogField.ISP_DOMAIN: "your Internet service provider's domain (not your address)",
    VisitorLogField.TIME: "the time you accessed our web site",
    VisitorLogField.PATH: "the pages within our web site that you visit",
    VisitorLogField.BROWSER_FAMILY: "the kind of web browser you use",
    VisitorLogField.OS_FAMILY: "the kind of operating system you use",
    VisitorLogField.REFERRER_DOMAIN: "the site you came from, as its domain name only",
}

# What a visitor log without these fields does not record (VIS-3), in words.
NOT_LOGGED = (
    (VisitorLogField.BROWSER_FAMILY, "the kind of web browser you use"),
    (VisitorLogField.OS_FAMILY, "your operating system"),
    (VisitorLogField.REFERRER_DOMAIN, "the page you came from"),
)

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
    Ground.INTEGRATED_SERVICE: "you pay us for the Services and use the integrated service",
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


def revised_on(policy: Policy, published: dt.date | None = None) -> dt.date | None:
    """When the page says the policy was last revised: the provider's own date where its
    text gives one, else the day the version in force was published; None before any."""
    return policy.revision.date if policy.revision is not None else published


def build_document(
    policy: Policy, *, enforced: Enforced, published: dt.date | None = None,
    terms_path: str = TERMS_PATH,
) -> Document:  # fmt: skip
    """The page for `policy` as this build would publish it; `published`: the day the
    version shown was published (none: the file was never published); `terms_path`:
    where the terms it links are (an earlier version's page links its own terms)."""
    stated = frozenset(policy.promises) & enforced.promises
    page = Page(policy, stated, enforced, revised_on(policy, published), terms_path)
    builders = [
        _introduction,
        _visitors if SubjectKind.VISITOR in policy.subjects else None,
        _cookies,
        _prospects if SubjectKind.PROSPECT in policy.subjects else None,
        _customers if SubjectKind.CUSTOMER in policy.subjects else None,
        _communications if policy.communications is not None else None,
        _disclosure,
        _choices,
        _security,
        _notices,
        _retention,
        _changes,
        _contact,
    ]
    sections = [build(page) for build in builders if build is not None]
    return Document(
        title=f"{policy.provider.name} privacy policy",
        revised=page.revised.isoformat() if page.revised else "",
        sections=[s for s in sections if s.blocks],
    )


# --- sections ------------------------------------------------------------------------


def _introduction(page: Page) -> Section:
    policy = page.policy
    section = Section(page, "introduction", "Our commitment")
    if policy.terms is not None:  # the terms, where the provider has them (issue 31)
        read = (page.terms_path, f"Read our {policy.terms.title}.")
        section.add(Paragraph(policy.introduction, link=read))
    else:
        section.say(policy.introduction)
    section.state("VIS-1")
    if _customer_uses_are_service_only(policy):
        section.say(
            "Once you choose to give us personally identifiable information, it will only "
            f"be used to support your customer relationship with {policy.provider.name}.",
            "ACC-4",
        )
    else:
        section.say(
            "Once you choose to give us personally identifiable information, we use it only "
            "for the purposes this policy lists for it.",
            "ACC-4",
        )
    section.say(
        "This policy is published from the same file that "
        f"{prose.possessive(policy.provider.name)} systems enforce: what you read here is what "
        "the software does.",
        "POL-1",
    )
    return section


def _customer_uses_are_service_only(policy: Policy) -> bool:
    """Whether customer data serves the service alone: no marketing, no partners."""
    customer = policy.subjects.get(SubjectKind.CUSTOMER)
    uses = {u for item in (customer.data if customer else ()) for u in item.purposes}
    partners = [r for r in policy.recipients if r.kind in SHARING_KINDS]
    return not partners and all(any(is_within(u, k) for k in SERVICE_USES) for u in uses)


# Uses that serve the customer relationship itself (the order form forwards to sales).
SERVICE_USES = ("essential", "functional", "sales")


SHARING_KINDS = (
    RecipientKind.REFERRAL_PARTNER,
    RecipientKind.INTEGRATION_PARTNER,
    RecipientKind.MARKETING_PARTNER,
)


def _visitors(page: Page) -> Section:
    policy = page.policy
    section = Section(page, "visitors", "Visitors to our web site")
    log = policy.visitor_log
    logged = {f.value for f in log.fields} if log is not None else set()
    if log is not None:
        section.say("When you visit our web site, our web server records:", "VIS-2")
        if page.states("VIS-2"):
            section.add(Bullets(tuple(LOG_FIELDS[f] for f in log.fields)))
        if VisitorLogField.REFERRER_DOMAIN in log.fields:
            section.say(
                "The page you came from is kept only as its site's domain, and only when it "
                "is another site.",
                "VIS-9",
            )
        omitted = [words for f, words in NOT_LOGGED if f not in log.fields]
        if omitted:
            section.say("We do not record " + prose.join(omitted, "or") + ".", "VIS-3")
    section.state("VIS-4")
    if log is not None:
        visitor_uses = {u for f in log.fields for u in _item_purposes(policy, f.value)}
        section.say(
            f"This information is used only to {prose.uses(policy, sorted(visitor_uses))}.", "VIS-5"
        )
    for item in policy.subjects[SubjectKind.VISITOR].data:
        if item.field in logged:
            continue
        kept = f", and keep it for {prose.days(item.retention.days)}" if item.retention else ""
        section.say(
            f"We may also log your {prose.lower(item.label)}, only to "
            f"{prose.uses(policy, item.purposes)}{kept}.",
            "VIS-11" if is_within(item.category, "user.device.ip_address") else "",
        )
    section.state("VIS-6")
    if log is not None:
        section.say(
            "We may disclose aggregate information on our site's traffic to third parties, "
            "such as advertising companies. Any figure that counts fewer than "
            f"{log.aggregate_min_group} visitors is folded into 'other' or left out, so no one "
            "can be singled out.",
            "VIS-7",
        )
    section.state("VIS-8")
    return section


def _item_purposes(policy: Policy, field_name: str) -> tuple[str, ...]:
    for item in policy.subjects[SubjectKind.VISITOR].data:
        if item.field == field_name:
            return item.purposes
    return ()


def _cookies(page: Page) -> Section:
    policy = page.policy
    section = Section(page, "cookies", "Cookies")
    cookies = [c for c in policy.cookies if page.enforced.sets(c.name)]
    if not cookies:
        return section
    section.say(
        "Cookies are small pieces of information that a web site stores in your browser. "
        "We set only the cookies listed here, for as long as the table says; our software "
        "refuses to set any other.",
        "CK-6",
    )
    if not section.blocks:
        section.say("Cookies are small pieces of information that a web site stores in your "
                    "browser. We set these:")  # fmt: skip
    rows = tuple(
        (
            cookie.name,
            cookie.description,
            policy.purposes[cookie.purpose].name,
            cookie_lifetime(cookie.max_age_days),
            "optional" if cookie.optional else "required",
        )
        for cookie in cookies
    )
    section.add(Table(("Cookie", "What it holds", "Purpose", "Kept", "Choice"), rows))
    section.state("CK-1", "CK-2", "CK-3", "CK-4", "CK-5")
    return section


def cookie_lifetime(max_age_days: int | None) -> str:
    """How long a cookie is kept, in the page's words."""
    return prose.days(max_age_days) if max_age_days else "until you close your browser"


def _prospects(page: Page) -> Section:
    return _subject_section(page, SubjectKind.PROSPECT, "prospects")


def _subject_section(page: Page, kind: SubjectKind, anchor: str) -> Section:
    policy = page.policy
    subject = policy.subjects[kind]
    section = Section(page, anchor, subject.name)
    if kind is SubjectKind.PROSPECT:
        section.say(subject.description, "ACC-6")
    else:
        section.say(subject.description)
    if subject.data and section.blocks:
        section.add(_data_table(policy, subject.data))
    return section


def _data_table(policy: Policy, items) -> Table:
    rows = tuple(
        (
            item.label,
            "required" if item.required else "optional",
            prose.uses(policy, item.purposes),
        )
        for item in items
    )
    return Table(("Information", "Required?", "Used to"), rows)


def _customers(page: Page) -> Section:
    policy = page.policy
    section = _subject_section(page, SubjectKind.CUSTOMER, "customers")
    subject = policy.subjects[SubjectKind.CUSTOMER]
    asked = [
        prose.lower(i.label) for i in subject.data if "sign_up" in {p.value for p in i.collected_at}
    ]
    if asked:
        section.say("When you sign up, we ask for " + prose.join(asked) + ".", "ACC-1")
    asked_of_you = {CollectionPoint.SIGN_UP, CollectionPoint.PROFILE}
    optional = [
        prose.lower(i.label)
        for i in subject.data
        if not i.required and asked_of_you & set(i.collected_at)
    ]
    if optional:
        section.say(
            f"Giving us {prose.join(optional)} is optional wherever we ask for it: you can opt "
            "out of providing additional information by not entering it.",
            "ACC-2",
        )
    section.state("ACC-3", "ACC-5", "PAY-1", "PAY-3")
    for rule in policy.prohibitions:
        section.say(rule.statement, rule.promise or "")
    return section


def _communications(page: Page) -> Section:
    comms: Communications = page.policy.communications
    section = Section(page, "communications", "Your communications")
    section.say(
        "We may store your electronic mail and other communications only as a necessary "
        "incident to transmitting and delivering them.",
        "COM-1",
    )
    mailbox = page.policy.mailbox_item()
    if mailbox is not None and page.states("COM-1"):
        kept = mailbox.retention
        forwarded = (
            ", or have it forwarded to an address you choose"
            if "user.contact.email" in page.policy.collected_categories(SubjectKind.CUSTOMER)
            else ""
        )
        section.say(
            f"Mail for your address at {comms.mailbox_domain} waits for you to read it on our "
            f"site or download it{forwarded}. We delete a message "
            f"{prose.days(kept.days)} after we deliver it to you, and one you never collect "
            f"{prose.days(kept.undelivered_days)} after it arrives. Messages are stored encrypted "
            "with a key of your own, which we destroy when your account is erased.",
            "COM-1",
        )
    if comms.disclosure_grounds:
        section.say(
            "We will not disclose the contents of your communications to third parties except "
            "when:",
            "COM-3",
        )
        if page.states("COM-3"):
            section.add(Bullets(tuple(GROUNDS[g] for g in comms.disclosure_grounds)))
    section.state("COM-2")
    if comms.moderation:
        section.say(
            "We will, however, review, delete or block access to communications that may "
            "harm us, our customers or third parties, for example for violations of our terms, "
            "and we record the ground each time.",
            "COM-4",
        )
    hosted = comms.hosted_data
    if hosted is not None and hosted.staff_access == "customer_permission":
        integrated = any(
            is_within(hosted.category, c) or is_within(c, hosted.category)
            for r in page.policy.recipients_of(RecipientKind.INTEGRATION_PARTNER)
            for c in r.categories
        )
        # Every ground on which the software lets hosted data leave, and no other: the
        # integration a customer turns on (DIS-5), the law (DIS-9's recorded disclosure).
        grounds = []
        if integrated:
            grounds.append("with the provider of an integrated service you turn on, once "
                           "you have paid us, for as long as it is on")  # fmt: skip
        if _hosted_leaves_by_terms(page.policy, hosted.category):
            grounds.append(f"as our {page.policy.terms.title} provide")
        if _hosted_leaves_by_law(page.policy, hosted.category):
            grounds.append("as the law may require, in a disclosure we record with its "
                           "ground, who approved it and exactly what left")  # fmt: skip
        unless = f", except {prose.join(grounds, 'or')}" if grounds else ""
        section.say(
            "We will not review, share, distribute, print or reference the data you keep in "
            f"our online applications{unless}. We view an individual record only with your "
            "permission, for example to resolve a support issue; a permission lasts "
            f"{hosted.permission_hours} hours and every view is logged.",
            "COM-5",
        )
    elif hosted is not None:
        section.say("Our staff never view the data you keep in our online applications.", "COM-5")
    return section


def _portal_opt_out(policy: Policy, recipient_key: str) -> bool:
    """Whether a customer can refuse sharing with the recipient on their account pages
    (requests.choices lists every customer opt-out choice's recipients there)."""
    return any(
        choice.kind is ChoiceKind.OPT_OUT and SubjectKind.CUSTOMER in choice.subjects
        and recipient_key in choice.recipients
        and any(ch.kind is ChannelKind.PORTAL for ch in choice.channels)
        for choice in policy.choices
    )  # fmt: skip


def _hosted_leaves_by_terms(policy: Policy, category: str) -> bool:
    """Whether the hosted data may leave on the terms' own ground: the policy has terms
    with a clause for COM-5, and a recipient may receive the data on that ground."""
    return (
        policy.terms is not None and policy.terms.clause_for("COM-5") is not None
        and any(Ground.TERMS_OF_SERVICE in r.grounds
                and any(is_within(category, c) for c in r.categories)
                for r in policy.recipients)
    )  # fmt: skip


def _hosted_leaves_by_law(policy: Policy, category: str) -> bool:
    """Whether a law-enforcement recipient may receive the hosted data when the law
    requires it (the policy declares it; the disclosure app records each time)."""
    return any(
        Ground.LEGAL_REQUIREMENT in r.grounds and any(is_within(category, c) for c in r.categories)
        for r in policy.recipients_of(RecipientKind.LAW_ENFORCEMENT)
    )


def _disclosure(page: Page) -> Section:
    policy = page.policy
    section = Section(page, "sharing", "Sharing and disclosure")
    for recipient in policy.recipients:
        promise = RECIPIENT_PROMISES.get(recipient.kind)
        if promise is None:
            continue
        if recipient.kind is RecipientKind.CONTENT_PROVIDER:
            text = (
                f"{recipient.name}: {recipient.description} We share no personal information "
                "with them, and nothing on our pages lets them collect any."
            )
        else:
            what = (
                "aggregate statistics only"
                if recipient.aggregates_only
                else prose.join([prose.category_name(policy, c) for c in recipient.categories])
            )
            grounds = prose.join([GROUNDS[g] for g in recipient.grounds], "or")
            text = f"{recipient.name}: {recipient.description} They receive {what}"
            text += f", when {grounds}." if grounds else "."
            comms = policy.communications
            if comms is not None and any(
                is_within(c, comms.category) and not is_within(c, BUSINESS_DATA)
                for c in recipient.categories
            ):  # the contents of communications leave on fewer grounds (COM-3)
                narrower = prose.join([GROUNDS[g] for g in comms.disclosure_grounds
                                       if g in recipient.grounds], "or")  # fmt: skip
                text += f" The contents of your communications only when {narrower}."
            if recipient.kind is RecipientKind.REFERRAL_PARTNER and not any(
                is_within(c, BUSINESS_DATA) for c in recipient.categories
            ):
                text += " We do not share your business data with them."
        if not recipient.may_retain:
            text += " They may not store, retain or use it for any other purpose."
        if recipient.opt_out:
            where = ": on your account pages, under Your choices" if _portal_opt_out(
                policy, recipient.key) else ""  # fmt: skip
            text += f" You can ask us never to share your information with them{where}."
        section.say(text, promise)
    section.state("DIS-2")
    grounds = [
        g for r in policy.recipients_of(RecipientKind.LAW_ENFORCEMENT) for g in r.grounds
        if g in (Ground.HARM_PREVENTION, Ground.LEGAL_REQUIREMENT)
    ]  # fmt: skip
    if grounds:
        section.say(
            "We will not otherwise disclose customer personal and account information unless "
            + prose.join([GROUNDS[g] for g in dict.fromkeys(grounds)], "or")
            + ". Every disclosure records its ground, who approved it and exactly what left.",
            "DIS-1",
        )
    section.state("DIS-9", "DIS-8")
    return section


BUSINESS_DATA = "user.content"

# The promise that governs what each kind of recipient gets (law enforcement is
# stated by DIS-1 or DIS-9 instead).
RECIPIENT_PROMISES = {
    RecipientKind.PAYMENT_PROCESSOR: "DIS-6",
    RecipientKind.REFERRAL_PARTNER: "DIS-4",
    RecipientKind.INTEGRATION_PARTNER: "DIS-5",
    RecipientKind.MARKETING_PARTNER: "DIS-3",
    RecipientKind.ADVERTISER: "VIS-7",
    RecipientKind.CONTENT_PROVIDER: "DIS-7",
}


def _choices(page: Page) -> Section:
    policy = page.policy
    section = Section(page, "choices", "Your choices")
    section.state("MSG-1")
    if "user.contact.email" in policy.collected_categories(SubjectKind.CUSTOMER):
        section.state("MSG-6")
    else:  # Quality keeps no address: product news is shown on the account pages
        section.say(
            "We may tell you about new or upgraded products in notices on your account "
            "pages, unless you opt out of product news; your billing information is never "
            "used for it.",
            "MSG-6",
        )
    rows, promises = [], []
    for choice in policy.choices:
        channels = [ch for ch in choice.channels if page.states(channel_promise(choice, ch))]
        if channels:
            rows.append(
                (
                    f"{CHOICE_VERBS[choice.kind]}: {choice.name}",
                    prose.join([_channel(policy, ch, choice) for ch in channels], "or"),
                    _timing(page, choice, channels),
                )
            )
            promises.append(tuple(dict.fromkeys(channel_promise(choice, ch) for ch in channels)))
    if rows:
        section.add(
            Table(("What you can do", "How", "When it is done"), tuple(rows), tuple(promises))
        )
    section.state("CH-3")
    return section


def channel_promise(choice: Choice, channel) -> str:
    """The promise whose code answers a request made through this channel."""
    if channel.kind is ChannelKind.PORTAL:
        return PORTAL_PROMISES[choice.kind]
    if channel.kind is ChannelKind.EMAIL:
        if channel.contact == "unsubscribe":
            return "MSG-3"
        if choice.kind is ChoiceKind.OPT_OUT:
            return "MSG-4" if channel.contact == "support" else "CH-1"
        return "CH-2" if choice.kind is ChoiceKind.QUESTION else "CH-3"
    if channel.kind is ChannelKind.ONLINE_FORM:
        # The question form (CH-2), or the contact form: a request tracked to its end.
        return "CH-2" if choice.kind is ChoiceKind.QUESTION else "CH-3"
    return {
        ChannelKind.REPLY: "MSG-4",
        ChannelKind.UNSUBSCRIBE_LINK: "MSG-5",
    }[channel.kind]


PORTAL_PROMISES = {
    ChoiceKind.ACCESS: "ACC-7",
    ChoiceKind.CORRECTION: "ACC-7",
    ChoiceKind.DISCONTINUE: "ACC-7",
    ChoiceKind.DELETION: "ACC-8",
    ChoiceKind.OPT_OUT: "CH-1",
    ChoiceKind.QUESTION: "CH-2",
}


def _channel(policy: Policy, channel, choice: Choice | None = None) -> str:
    contacts = policy.provider.contacts
    if channel.kind is ChannelKind.ONLINE_FORM and choice and choice.kind != ChoiceKind.QUESTION:
        return "our contact form"  # the question form is CH-2's "online form"
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


def _timing(page: Page, choice: Choice, channels) -> str:
    if all(ch.kind in (ChannelKind.PORTAL, ChannelKind.UNSUBSCRIBE_LINK) for ch in channels):
        return "at once"
    if not page.states("CH-3"):
        return ""  # a deadline is stated only where requests are tracked to it
    if choice.deadline is None:
        return ""
    days, business = choice.deadline
    latest = f"{days} business days" if business else prose.days(days)
    if choice.usual_days:
        return f"usually within {prose.days(choice.usual_days)}, always within {latest}"
    return f"within {latest}"


def _security(page: Page) -> Section:
    section = Section(page, "security", "Security")
    section.state("SEC-1", "SEC-2", "SEC-3", "SEC-4", "SEC-5", "ACC-9")
    return section


def _notices(page: Page) -> Section:
    section = Section(page, "notices", "What no software can promise")
    if page.policy.notices:
        section.say(
            "The promises above are kept by our software. What follows are things you should "
            "know that no software can do for you."
        )
    for notice in page.policy.notices:
        section.add(Heading(notice.title))
        section.say(notice.text)
    return section


def _retention(page: Page) -> Section:
    policy = page.policy
    section = Section(page, "retention", "How long we keep information")
    rows = []
    for kind, item in policy.data_items():
        if item.retention is None:
            continue
        start = {
            "account_closure": "after your account closes",
            "delivery": "after we deliver it to you ("
            f"{prose.days(item.retention.undelivered_days or 0)} if never collected)",
        }.get(item.retention.after, "")
        legal = ""
        if item.retention.legally_required and page.states("ACC-8"):
            legal = " (required by law; kept even if you ask us to delete your data)"
        rows.append(
            (
                item.label,
                policy.subjects[kind].name,
                " ".join(filter(None, [prose.days(item.retention.days), start])) + legal,
            )
        )
    if rows:
        section.add(Table(("Information", "About", "Kept for"), tuple(rows)))
    if any(item.retention and item.retention.after == "account_closure"
           for kind, item in policy.data_items() if kind == "customer"):  # fmt: skip
        section.say(
            "You can close your account at any time on your account pages: your services "
            "end, and the periods that run after your account closes start that day. The "
            "page tells you the date each kind of information will be deleted."
        )
    section.state("VIS-10")
    return section


def _changes(page: Page) -> Section:
    policy = page.policy
    section = Section(page, "changes", "Changes to this policy")
    notice = policy.changes.notice
    if notice is not None:
        which = (
            "If we change this policy in any way"
            if policy.changes.every_change
            else "If we change this policy in a way that lets us do more with your information "
            "(collect more, use it for more, keep it longer, share it with more, or take a "
            "choice or a promise away)"
        )
        section.say(
            f"{which}, we will tell you at least {notice.days} {_business_days(policy)} "
            "before the change takes effect, and until then this version applies."
            + _directions(policy),
            "POL-3",
        )
        if not policy.changes.every_change:
            section.say(
                "A change of wording alone, or one that does less with your information, "
                "takes effect when we publish it.",
                "POL-3",
            )
    if policy.makes("POL-4") and not policy.makes("POL-3"):
        # Only a policy that reserves the right says so; one that promises notice the
        # build cannot give says nothing of changes rather than claim a freedom it gave up.
        section.say(
            f"{policy.provider.name} may change this policy at any time by publishing a new "
            "version."
        )
    section.state("POL-4")
    if page.revised is not None:
        revised = f"This policy was last revised on {prose.long_date(page.revised)}."
        section.say(revised, "POL-2" if policy.makes("POL-2") else "")
    return section


def _business_days(policy: Policy) -> str:
    """What a business day is, as the deadlines count it (policy.calendar)."""
    code = policy.provider.holidays
    if code is None:
        return "business days (Monday to Friday)"
    return (f"business days (Monday to Friday, less the public holidays of "
            f"{calendar_name(code)}, calendar {code})")  # fmt: skip


def _directions(policy: Policy) -> str:
    """How a customer can respond to a notice, as the notice says it (site.tasks): only
    what works, and only where the notice can reach them (an e-mail address)."""
    if "user.contact.email" not in policy.collected_categories(SubjectKind.CUSTOMER):
        return ""
    support = policy.provider.contacts.support
    reply = (
        " To object, reply to the notice: your reply reaches us as a request, which we "
        "track to an answer."
        if support is not None and support.email
        else ""
    )
    return (" We send the notice by e-mail, with directions for responding to it." + reply
            + " You can close your account, and first download all of your data, from "
            "your account pages before the change takes effect.")  # fmt: skip


# Which contact the page lists, and the promise whose code answers mail sent to it.
CONTACTS = {
    "support": ("Write to us", ""),
    "unsubscribe": ("Removal from mailing lists", "MSG-3"),
    "security": ("Your choices", "CH-1"),
    "privacy_questions": ("Questions about this policy", "CH-2"),
}


def _contact(page: Page) -> Section:
    policy = page.policy
    section = Section(page, "contact", "Contact us")
    items = []
    for key, (label, promise) in CONTACTS.items():
        contact = getattr(policy.provider.contacts, key)
        if contact is None or not page.states(*filter(None, [promise])):
            continue
        # Mail is offered only where a request keeps who sent it, so it can be answered.
        how = [contact.email] if contact.email and policy.keeps_senders else []
        if contact.online_form and key == "support" and page.states("CH-3"):
            how.append("our contact form")  # /contact/: a request tracked to its answer
        elif contact.online_form and key != "support" and page.states("CH-2"):
            how.append("our online form")
        if how:
            items.append(f"{label}: {' or '.join(how)}")
    if items:
        section.add(Bullets(tuple(items)))
    section.say(f"{policy.provider.name}, {policy.provider.website}")
    return section


# --- notations -----------------------------------------------------------------------


def to_markdown(policy: Policy, *, enforced: Enforced, published: dt.date | None = None) -> str:
    return as_markdown(build_document(policy, enforced=enforced, published=published))


def to_html(
    policy: Policy, *, enforced: Enforced, standalone: bool = False,
    published: dt.date | None = None, terms_path: str = TERMS_PATH,
) -> str:  # fmt: skip
    """The policy as HTML: an <article> fragment, or a whole page if `standalone`."""
    document = build_document(policy, enforced=enforced, published=published,
                              terms_path=terms_path)  # fmt: skip
    return as_html(document, standalone=standalone)

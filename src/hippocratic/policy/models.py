"""The policy file, as pydantic models: the single source of truth.

Every field carries a description; the renderer and the documentation read
them, and the loader turns validation failures into `file:line:column` errors.
Structure is checked here; references between sections (a cookie naming a
purpose, a recipient naming a category) are checked by `references.py`, and
contradictions between sections by `linter.py`.
"""

import datetime as dt
import difflib
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PositiveInt,
    StringConstraints,
    model_validator,
)

from hippocratic.policy.calendar import known_calendar
from hippocratic.policy.periods import BusinessDays, parse_business_days
from hippocratic.policy.promises import CATALOGUE
from hippocratic.policy.taxonomy import is_within

# A period in the policy is at most a hundred years: longer is a typing slip, and a date
# that far ahead is past what the site's clocks hold (10**9 days passed the check and
# then stopped the daily retention job with an OverflowError).
MAX_DAYS = 36_525
Days = Annotated[int, Field(gt=0, le=MAX_DAYS)]
Hours = Annotated[int, Field(gt=0, le=MAX_DAYS * 24)]

# --- constrained strings -------------------------------------------------------------
# Each pattern with the words the loader uses when a value does not match it.
FIDES_KEY = r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)*$"
IDENTIFIER = r"^[a-z][a-z0-9_]*$"
EMAIL = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
WEB_ADDRESS = r"^https?://[^\s/]+"
HOSTNAME = r"^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$"
PATTERN_WORDS = {
    FIDES_KEY: "a taxonomy key of lower-case dotted words",
    IDENTIFIER: "a lower-case name of letters, digits and underscores",
    EMAIL: "an e-mail address such as name@example.com",
    WEB_ADDRESS: "a web address starting with https://",
    HOSTNAME: "a host name such as mail.example.com",
}

FidesKey = Annotated[
    str,
    StringConstraints(pattern=FIDES_KEY),
    Field(description="A fideslang taxonomy key, dotted from the root: user.contact.email"),
]
Identifier = Annotated[
    str,
    StringConstraints(pattern=IDENTIFIER, max_length=60),
    Field(description="A lower-case name made of letters, digits and underscores"),
]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
EmailAddress = Annotated[
    str,
    StringConstraints(pattern=EMAIL, max_length=254),
    Field(description="An e-mail address: name@example.com"),
]
Hostname = Annotated[
    str,
    StringConstraints(strip_whitespace=True, to_lower=True, max_length=253, pattern=HOSTNAME),
    Field(description="A host name: mail.example.com"),
]
CookieName = Annotated[
    str,
    StringConstraints(pattern=r"^[A-Za-z0-9!#$%&'*+.^_`|~-]+$", max_length=64),
    Field(description="A cookie name as RFC 6265 allows it"),
]


def _known_promise(value: str) -> str:
    if value not in CATALOGUE:
        close = difflib.get_close_matches(value, list(CATALOGUE), n=3) or ["VIS-1", "PAY-2"]
        raise ValueError(
            f"'{value}' is not a promise ID in the catalogue, expected an ID from "
            f"PROMISES.md such as {', '.join(close)}"
        )
    return value


PromiseId = Annotated[str, AfterValidator(_known_promise)]


class SubjectKind(StrEnum):
    """The data subjects a provider deals with (fideslang data subject keys)."""

    VISITOR = "visitor"
    PROSPECT = "prospect"
    CUSTOMER = "customer"


class Ground(StrEnum):
    """Why data may leave the provider. Each disclosure records one of these."""

    SERVICE_TO_CUSTOMER = "service_to_customer"
    LEGITIMATE_INTEREST = "legitimate_interest"
    LEGAL_PROCESS = "legal_process"
    CRIME_EVIDENCE = "crime_evidence"
    HARM_PREVENTION = "harm_prevention"
    LEGAL_REQUIREMENT = "legal_requirement"
    TERMS_OF_SERVICE = "terms_of_service"
    PAYMENT_PROCESSING = "payment_processing"
    JOINT_CUSTOMER = "joint_customer"
    INTEGRATED_SERVICE = "integrated_service"
    PARTNER_OFFERS = "partner_offers"
    TRAFFIC_STATISTICS = "traffic_statistics"


class RecipientKind(StrEnum):
    PAYMENT_PROCESSOR = "payment_processor"
    REFERRAL_PARTNER = "referral_partner"
    INTEGRATION_PARTNER = "integration_partner"
    MARKETING_PARTNER = "marketing_partner"
    ADVERTISER = "advertiser"
    LAW_ENFORCEMENT = "law_enforcement"
    CONTENT_PROVIDER = "content_provider"


class VisitorLogField(StrEnum):
    """What the web server may record per page view (VIS-2, VIS-3, VIS-9)."""

    ISP_DOMAIN = "isp_domain"
    TIME = "time"
    PATH = "path"
    BROWSER_FAMILY = "browser_family"
    OS_FAMILY = "os_family"
    REFERRER_DOMAIN = "referrer_domain"


class CollectionPoint(StrEnum):
    """Where a data item is asked for or gathered."""

    WEB_SERVER = "web_server"
    SIGN_UP = "sign_up"
    PROFILE = "profile"
    ORDER_FORM = "order_form"
    INQUIRY = "inquiry"
    CHECKOUT = "checkout"
    SERVICE = "service"


class ChoiceKind(StrEnum):
    OPT_OUT = "opt_out"
    ACCESS = "access"
    CORRECTION = "correction"
    DELETION = "deletion"
    DISCONTINUE = "discontinue"
    QUESTION = "question"


class ChannelKind(StrEnum):
    PORTAL = "portal"
    EMAIL = "email"
    REPLY = "reply"
    ONLINE_FORM = "online_form"
    UNSUBSCRIBE_LINK = "unsubscribe_link"


class Strict(BaseModel):
    """Base of every policy model: unknown keys are errors, values are frozen."""

    model_config = ConfigDict(extra="forbid", frozen=True, use_enum_values=False)


# --- provider ------------------------------------------------------------------------


# The category of a request's sender: the address a request by mail or form is answered at.
SENDER_CATEGORY = "user.contact.email"


class Contact(Strict):
    email: EmailAddress | None = Field(None, description="The address to write to")
    online_form: bool = Field(False, description="Reached through a form on the web site")

    @model_validator(mode="after")
    def _reachable(self):
        if self.email is None and not self.online_form:
            raise ValueError(
                "a contact needs a way to reach it, expected 'email' or 'online_form: true'"
            )
        return self


class Contacts(Strict):
    support: Contact = Field(description="Where customers ask for help and corrections")
    unsubscribe: Contact | None = Field(None, description="Where removal requests go")
    security: Contact | None = Field(None, description="Where choices and security go")
    privacy_questions: Contact | None = Field(
        None, description="Where questions about collection, use or disclosure go"
    )


class Provider(Strict):
    name: Text = Field(description="The provider's name as customers know it")
    kind: Text = Field(description="What the provider does, in a few words")
    website: Annotated[str, StringConstraints(pattern=WEB_ADDRESS)] = Field(
        description="The provider's web site address"
    )
    contacts: Contacts = Field(description="Where each kind of request or question goes")
    holidays: str | None = Field(
        None,
        description="The public holidays business days skip: a country code (US) or a "
        "subdivision (US-CA), as the holidays library names them",
    )

    @model_validator(mode="after")
    def _known_holidays(self):
        if self.holidays is not None and not known_calendar(self.holidays):
            raise ValueError(
                f"'{self.holidays}' is not a holiday calendar, expected a country code such "
                "as US or GB, or a subdivision such as US-CA"
            )
        return self


# --- taxonomy extensions -------------------------------------------------------------


class CustomCategory(Strict):
    """A data category the provider adds below a fideslang default one."""

    fides_key: FidesKey
    parent_key: FidesKey = Field(description="An existing category this one refines")
    name: Text = Field(description="The category's name, as the public page states it")
    description: Text = Field(description="What the category covers, in words")


class Taxonomy(Strict):
    data_categories: tuple[CustomCategory, ...] = Field(
        (), description="Categories the provider adds below fideslang's own"
    )


# --- purposes, subjects and the data collected ---------------------------------------


class Purpose(Strict):
    """A data use (a fideslang data use key) the provider declares."""

    name: Text = Field(description="The purpose, as the public page states it")
    description: Text = Field(description="What the purpose is for, in words")
    requires: tuple[FidesKey, ...] = Field(
        (), description="Categories this purpose cannot be served without"
    )


class Retention(Strict):
    days: Days = Field(description="How long the data is kept, in days")
    after: Literal["collection", "account_closure", "delivery"] = Field(
        "collection", description="When the period starts"
    )
    legally_required: bool = Field(
        False, description="Kept because the law requires it (survives erasure, ACC-8)"
    )
    undelivered_days: Days | None = Field(
        None,
        description="With after: delivery, how long a message never delivered is kept (COM-1)",
    )

    @model_validator(mode="after")
    def _undelivered_with_delivery(self):
        if (self.after == "delivery") != (self.undelivered_days is not None):
            raise ValueError("undelivered_days goes with after: delivery, expected both or neither")
        return self


class DataItem(Strict):
    """One piece of personal data collected from a subject."""

    field: Identifier = Field(description="The name the software uses for it")
    label: Text = Field(description="The name a person reads")
    category: FidesKey
    required: bool = Field(True, description="Whether the subject must provide it")
    purposes: tuple[FidesKey, ...] = Field(min_length=1, description="The uses it may serve")
    collected_at: tuple[CollectionPoint, ...] = Field(
        min_length=1, description="Where the subject is asked for it: sign_up, profile, inquiry …"
    )
    retention: Retention | None = Field(
        None, description="How long it is kept; none means for as long as the service needs it"
    )
    description: str = Field("", description="More about it, for the public page")


class Subject(Strict):
    name: Text = Field(description="Who they are, in the plural: Visitors, Customers")
    description: Text = Field(description="Who they are, in words")
    data: tuple[DataItem, ...] = Field((), description="The personal data collected from them")


class VisitorLog(Strict):
    """What the web server records for each page view."""

    fields: tuple[VisitorLogField, ...] = Field(
        min_length=1, description="What the web server records for each page view"
    )
    unique_visitors: bool = Field(False, description="Count unique visitors without cookies")
    aggregate_min_group: PositiveInt = Field(
        10, description="Rows counting fewer distinct visitors are folded into 'other'"
    )


class Cookie(Strict):
    name: CookieName = Field(description="The cookie's name as the browser stores it")
    purpose: FidesKey = Field(description="The data use it serves")
    description: Text = Field(description="What it holds, in words")
    optional: bool = Field(description="Whether the visitor may refuse it")
    max_age_days: Days | None = Field(
        None, description="Lifetime in days; none means it ends with the browser session"
    )
    encrypted: bool = Field(False, description="Whether its value is encrypted")
    subjects: tuple[SubjectKind, ...] = Field(
        min_length=1, description="Whose browsers it is set in"
    )


class Recipient(Strict):
    """A third party that may receive personal data, and on which grounds."""

    key: Identifier = Field(description="The name the software and the policy file use for it")
    kind: RecipientKind = Field(description="What sort of third party it is")
    name: Text = Field(description="Its name, as the public page states it")
    description: Text = Field(description="What it does with what it receives, in words")
    categories: tuple[FidesKey, ...] = Field((), description="What it may receive")
    subjects: tuple[SubjectKind, ...] = Field(
        (SubjectKind.CUSTOMER,), description="Whose data it may receive"
    )
    grounds: tuple[Ground, ...] = Field((), description="Why it may receive anything")
    aggregates_only: bool = Field(False, description="Receives only aggregate statistics")
    may_retain: bool = Field(True, description="May keep what it receives")
    opt_out: bool = Field(False, description="A subject may refuse this sharing")


class Prohibition(Strict):
    """A use the policy rules out for some categories, whatever else it says."""

    categories: tuple[FidesKey, ...] = Field(
        min_length=1, description="The data categories the prohibition covers"
    )
    uses: tuple[FidesKey, ...] = Field(min_length=1, description="The uses ruled out for them")
    statement: Text = Field(description="The sentence the public page shows")
    promise: PromiseId | None = Field(
        None, description="The promise the prohibition keeps, if one does"
    )


class Channel(Strict):
    kind: ChannelKind = Field(
        description="How the subject asks: portal, email, reply, online_form, unsubscribe_link"
    )
    contact: Literal["support", "unsubscribe", "security", "privacy_questions"] | None = Field(
        None, description="For e-mail, which of the provider's contacts receives it"
    )
    subject_line: Text | None = Field(
        None, description="For e-mail, the subject line the request must carry"
    )

    @model_validator(mode="after")
    def _email_needs_contact(self):
        if self.kind is ChannelKind.EMAIL and self.contact is None:
            raise ValueError(
                "an e-mail channel needs an address, expected 'contact' naming one of "
                "support, unsubscribe, security, privacy_questions"
            )
        return self


class Choice(Strict):
    """Something a subject may ask for, and how."""

    key: Identifier = Field(description="The name the software and the policy file use for it")
    kind: ChoiceKind = Field(
        description="What the subject asks for: opt_out, access, correction, deletion …"
    )
    name: Text = Field(description="The choice, as the public page states it")
    subjects: tuple[SubjectKind, ...] = Field(min_length=1, description="Who may make it")
    uses: tuple[FidesKey, ...] = Field((), description="Uses an opt-out stops")
    recipients: tuple[Identifier, ...] = Field((), description="Sharing an opt-out stops")
    channels: tuple[Channel, ...] = Field(min_length=1, description="The ways to make it")
    usual_days: Days | None = Field(None, description="How long it usually takes")
    deadline_days: Days | None = Field(None, description="The latest it is done")
    deadline_business_days: Days | None = Field(
        None, description="The latest it is done, in business days on the provider's calendar"
    )

    @property
    def deadline(self) -> tuple[int, bool] | None:
        """(days, in business days?) or None where the policy sets no deadline."""
        if self.deadline_business_days:
            return self.deadline_business_days, True
        return (self.deadline_days, False) if self.deadline_days else None

    @model_validator(mode="after")
    def _essential_uses_are_not_refusable(self):
        essential = [u for u in self.uses if is_within(u, "essential")]
        if self.kind == ChoiceKind.OPT_OUT and essential:
            raise ValueError(
                f"{', '.join(essential)} cannot be opted out of: essential uses are the "
                "service itself, expected uses outside essential"
            )
        return self

    @model_validator(mode="after")
    def _one_deadline(self):
        if self.deadline_days and self.deadline_business_days:
            raise ValueError(
                "a choice has one deadline, expected deadline_days or deadline_business_days"
            )
        return self

    @model_validator(mode="after")
    def _usual_within_deadline(self):
        if self.usual_days and self.deadline_days and self.usual_days > self.deadline_days:
            raise ValueError(
                f"usual_days ({self.usual_days}) is longer than deadline_days "
                f"({self.deadline_days}), expected usual_days <= deadline_days"
            )
        return self


class HostedData(Strict):
    """Data customers keep in the provider's online applications (COM-5)."""

    category: FidesKey = Field(description="The category of what customers keep there")
    staff_access: Literal["never", "customer_permission"] = Field(
        description="Whether staff may ever open it: never, or with the customer's permission"
    )
    permission_hours: Hours = Field(24, description="How long a permission lasts")


class Communications(Strict):
    """Customers' e-mail and other communications the provider carries."""

    category: FidesKey = Field(description="The category of their contents")
    mailbox_domain: Hostname | None = Field(
        None, description="Mail for <user name>@this domain is kept for the customer to collect"
    )
    access_hours: Hours = Field(
        72, description="How long a staff access case to one customer's contents lasts"
    )
    disclosure_grounds: tuple[Ground, ...] = Field(
        (), description="The grounds on which contents may be disclosed"
    )
    moderation: bool = Field(False, description="Harmful messages may be reviewed or blocked")
    hosted_data: HostedData | None = Field(
        None, description="Data customers keep in the provider's applications"
    )


def _business_days(value: object) -> BusinessDays:
    if isinstance(value, BusinessDays):
        return value
    if not isinstance(value, (int, str)):
        raise ValueError("a period is a number or a phrase such as '10 business days'")
    period = parse_business_days(value)
    if period.days > MAX_DAYS:
        raise ValueError(
            f"{period.days:,} business days is more than a hundred years, "
            f"expected at most {MAX_DAYS:,}"
        )
    return period


NoticePeriod = Annotated[BusinessDays, BeforeValidator(_business_days)]


class Changes(Strict):
    """How the policy changes (POL-3, POL-4)."""

    notice: NoticePeriod | None = Field(
        None, description="How long before a change takes effect customers are told"
    )
    every_change: bool = Field(
        False,
        description="Notice for every change, not only one that lets the provider do more "
        "(Ducallier: 'If we change it, we will provide notification of the change')",
    )
    how_to_respond: str = Field(
        "",
        description="Superseded: the notice and the page give the directions the software "
        "carries out (reply, download your data); kept so earlier versions still load",
    )


class Notice(Strict):
    """Something readers should know that no software can keep: a disclaimer, advice,
    the limits of the provider's responsibility. The page sets notices apart from
    promises, under a heading of their own."""

    title: Text = Field(description="A short heading: Third party sites")
    text: Text = Field(description="What the page says, as the provider words it")


class Revision(Strict):
    date: dt.date = Field(description="When the policy was last revised (POL-2)")
    version: Text | None = Field(None, description="The provider's own name for this version")


# --- terms of service ----------------------------------------------------------------

ClauseKey = Annotated[
    str, StringConstraints(pattern=r"^[a-z][a-z0-9-]{0,39}$"),
]  # fmt: skip


class TermsClause(Strict):
    """One clause of the provider's terms: its anchor on the terms page (/terms/#key),
    and the promises whose sentences on the privacy page rest on it (their link)."""

    key: ClauseKey = Field(description="The clause's anchor on the terms page: hosted-data")
    title: Text = Field(description="The clause's heading: Data you keep in our applications")
    text: Text = Field(description="What the clause says: only what the software does")
    governs: tuple[PromiseId, ...] = Field(
        (),
        description="Promises whose sentences rest on this clause (DIS-2: 'except as noted "
        "in our Terms of Service'); the privacy page links each to the clause",
    )


class Terms(Strict):
    """The provider's terms of service, published with the policy file and versioned with
    it: a new version wherever the clauses change; customers accept them at sign-up."""

    title: Text = Field("Terms of Service", description="What the provider calls them")
    clauses: tuple[TermsClause, ...] = Field(min_length=1, description="The clauses, in order")

    @model_validator(mode="after")
    def _one_clause_a_key_and_a_promise(self):
        keys = [c.key for c in self.clauses]
        twice = sorted({k for k in keys if keys.count(k) > 1})
        if twice:
            raise ValueError(f"clause keys must be unique, found twice: {', '.join(twice)}")
        governed = [p for c in self.clauses for p in c.governs]
        twice = sorted({p for p in governed if governed.count(p) > 1})
        if twice:
            raise ValueError(f"a promise rests on one clause, found twice: {', '.join(twice)}")
        return self

    def clause_for(self, promise_id: str) -> TermsClause | None:
        """The clause a promise's sentence rests on, if any."""
        return next((c for c in self.clauses if promise_id in c.governs), None)


# --- the whole file ------------------------------------------------------------------


class Policy(Strict):
    """A provider's privacy policy: what it collects, why, who sees it, for how long."""

    format: Literal["hippocratic/1"] = Field(description="The policy file format version")
    provider: Provider = Field(description="Who the provider is and how to reach them")
    revision: Revision | None = Field(
        None,
        description="The revision date the provider's own text gives (JAPOON's seed: May 4, "
        "2001); none where it gives none: the page then shows when the version in force "
        "was published, never an invented date",
    )
    introduction: Text = Field(description="The page's opening paragraph")
    promises: tuple[PromiseId, ...] = Field(
        min_length=1, description="The promise IDs this policy switches on (PROMISES.md)"
    )
    taxonomy: Taxonomy = Field(Taxonomy(), description="The provider's own data categories")
    purposes: dict[FidesKey, Purpose] = Field(
        min_length=1, description="The data uses the provider declares, by fideslang key"
    )
    subjects: dict[SubjectKind, Subject] = Field(
        min_length=1,
        description="Visitors, prospects and customers, and what is collected from each",
    )
    visitor_log: VisitorLog | None = Field(
        None, description="What the web server logs; none means no visitor log is kept"
    )
    cookies: tuple[Cookie, ...] = Field((), description="Every cookie the site sets")
    recipients: tuple[Recipient, ...] = Field(
        (), description="Every third party that may receive personal data"
    )
    prohibitions: tuple[Prohibition, ...] = Field(
        (), description="Uses ruled out whatever else the policy says"
    )
    communications: Communications | None = Field(
        None, description="Customers' communications the provider carries; none if it carries none"
    )
    choices: tuple[Choice, ...] = Field((), description="What subjects may ask for, and how")
    changes: Changes = Field(Changes(), description="How the policy changes and who is told")
    notices: tuple[Notice, ...] = Field(
        (), description="What no software can promise, set apart from the promises"
    )
    terms: Terms | None = Field(
        None,
        description="The provider's terms of service, where its policy rests grounds on them "
        "(served at /terms/, accepted at sign-up); none: no terms are offered",
    )

    @model_validator(mode="after")
    def _terms_govern_promises_made(self):
        if self.terms is not None:
            unmade = sorted({p for c in self.terms.clauses for p in c.governs} - set(self.promises))
            if unmade:
                raise ValueError(f"terms: clauses govern promises the policy does not make: "
                                 f"{', '.join(unmade)}")  # fmt: skip
        return self

    def makes(self, promise_id: str) -> bool:
        """Whether this policy switches the promise on."""
        return promise_id in self.promises

    def data_items(self):
        """Every (subject, item) pair, in file order."""
        for kind, subject in self.subjects.items():
            for item in subject.data:
                yield kind, item

    def collected_categories(self, subject: SubjectKind | None = None) -> set[str]:
        return {item.category for kind, item in self.data_items() if subject in (None, kind)}

    @property
    def keeps_senders(self) -> bool:
        """Whether a request can keep who sent it: the policy collects customers' e-mail
        addresses. Where it does not, nothing is answered by mail, and the page offers
        no channel by mail (linter: mail_channel_keeps_no_sender)."""
        return SENDER_CATEGORY in self.collected_categories(SubjectKind.CUSTOMER)

    def purposes_serving(self, subject: SubjectKind | str, categories) -> list[str]:
        """The declared purposes that may use every one of `categories` this policy
        collects from `subject` (those it does not collect are left out), in file order."""
        items = [
            item for kind, item in self.data_items()
            if kind == subject and item.category in set(categories)
        ]  # fmt: skip
        candidates = dict.fromkeys(p for item in items for p in item.purposes)
        collected = {item.category for item in items}
        return [p for p in candidates if all(_serving(items, c, p) for c in collected)]

    def visitor_aggregate_recipients(self) -> list[Recipient]:
        """Third parties that may receive visitor statistics, as aggregates only (VIS-7)."""
        return [
            r for r in self.recipients if r.aggregates_only and SubjectKind.VISITOR in r.subjects
        ]

    def recipients_of(self, kind: RecipientKind) -> list[Recipient]:
        return [r for r in self.recipients if r.kind is kind]

    def mailbox_item(self) -> DataItem | None:
        """The customers' data item of the communications kept for delivery (COM-1):
        the communications category, kept until delivery; None where there is none."""
        if self.communications is None or self.communications.mailbox_domain is None:
            return None
        return next(
            (
                item for kind, item in self.data_items()
                if kind is SubjectKind.CUSTOMER and item.category == self.communications.category
                and item.retention is not None and item.retention.after == "delivery"
            ),
            None,
        )  # fmt: skip


def _serving(items, category: str, purpose: str):
    """The first item of `category` whose purposes contain `purpose`, or None."""
    return next(
        (
            i
            for i in items
            if i.category == category and any(is_within(purpose, u) for u in i.purposes)
        ),
        None,
    )

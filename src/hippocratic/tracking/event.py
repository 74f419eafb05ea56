"""From a page request to a page-view event, or a drop with its reason.

    build(request, rules) -> PageEvent | Drop

The steps run in order; each takes the event and returns it, and the only
early exit is a Drop naming the rule that fired. Reading PIPELINE tells the
rules. The same pipeline serves live recording and imported logs (VIS-12).
"""

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache

import ua_parser

from hippocratic.policy.models import Policy, VisitorLogField
from hippocratic.tracking import visitors
from hippocratic.tracking.domains import own_names, referrer_domain
from hippocratic.tracking.request import PageRequest

F = VisitorLogField


class DropReason(StrEnum):
    """Why a request was not recorded as a page view."""

    NOT_A_PAGE_METHOD = "not_a_page_method"  # not GET/HEAD
    NOT_A_PAGE_STATUS = "not_a_page_status"  # an error or a redirect
    NOT_A_PAGE_TYPE = "not_a_page_type"  # not HTML (an image, a stylesheet, JSON)
    EXCLUDED_PATH = "excluded_path"  # static files, the admin, the dashboard itself


@dataclass(frozen=True)
class Drop:
    reason: DropReason


@dataclass(frozen=True)
class RecordingRules:
    """What the policy lets the web server record (VIS-2, VIS-3, VIS-6, VIS-11)."""

    fields: frozenset[VisitorLogField]
    digests: bool  # a daily visitor digest, for unique visitors or k-anonymous exports
    keep_addresses: bool  # diagnostics (VIS-11)
    own_hosts: frozenset[str]  # own_names(): host names and their registrable domains
    excluded_prefixes: tuple[str, ...] = ("/static/", "/admin/", "/staff/", "/favicon.ico")

    @classmethod
    def from_policy(cls, policy: Policy, own_hosts=()) -> "RecordingRules":
        log = policy.visitor_log
        fields = frozenset(log.fields) if log else frozenset()
        shares = bool(policy.visitor_aggregate_recipients())
        keep = any(
            kind.value == "visitor" and item.category == "user.device.ip_address"
            for kind, item in policy.data_items()
        )
        digests = bool(log and (log.unique_visitors or shares))
        return cls(fields, digests, keep, own_names(own_hosts))


@dataclass(slots=True)
class PageEvent:
    """What will be written: only the fields the rules allow are ever filled.

    Steps fill it in place (it is made per request, and a million times per
    log import); once built it is only read.
    """

    time: dt.datetime
    path: str
    address: str  # for the ISP domain lookup and diagnostics; never in PageView
    isp_domain: str = ""  # filled from the DNS later, or now for a logged host name
    browser_family: str = ""
    os_family: str = ""
    referrer_domain: str = ""
    is_bot: bool = False
    visitor_digest: str = ""


@lru_cache(maxsize=4096)
def _user_agent(text: str) -> tuple[str, str, bool]:
    """(browser family, OS family, is a bot)."""
    result = ua_parser.parse(text)
    device = result.device.family if result.device else ""
    browser = result.user_agent.family if result.user_agent else ""
    os_family = result.os.family if result.os else ""
    bot = device == "Spider" or not text
    return browser or "Other", os_family or "Other", bot


PAGE_METHODS = ("GET", "HEAD")


def _is_page_type(content_type: str) -> bool:
    return not content_type or content_type.startswith("text/html")


def is_page_hit(method: str, status: int, content_type: str) -> bool:
    """The first three rules below at once, for a caller (the log import) that can ask
    them before it builds a request."""
    return method in PAGE_METHODS and 200 <= status < 300 and _is_page_type(content_type)


def drop_non_page_method(req: PageRequest, event: PageEvent, rules):
    return Drop(DropReason.NOT_A_PAGE_METHOD) if req.method not in PAGE_METHODS else event


def drop_non_page_status(req: PageRequest, event: PageEvent, rules):
    return Drop(DropReason.NOT_A_PAGE_STATUS) if not 200 <= req.status < 300 else event


def drop_non_page_type(req: PageRequest, event: PageEvent, rules):
    return event if _is_page_type(req.content_type) else Drop(DropReason.NOT_A_PAGE_TYPE)


def drop_excluded_path(req: PageRequest, event: PageEvent, rules):
    if req.path.startswith(rules.excluded_prefixes):
        return Drop(DropReason.EXCLUDED_PATH)
    return event


def put_user_agent(req: PageRequest, event: PageEvent, rules):
    browser, os_family, event.is_bot = _user_agent(req.user_agent)
    if F.BROWSER_FAMILY in rules.fields:
        event.browser_family = browser
    if F.OS_FAMILY in rules.fields:
        event.os_family = os_family
    return event


def put_referrer_domain(req: PageRequest, event: PageEvent, rules):
    if F.REFERRER_DOMAIN not in rules.fields or not req.referrer:
        return event
    event.referrer_domain = referrer_domain(req.referrer, rules.own_hosts) or ""
    return event


def put_visitor_digest(req: PageRequest, event: PageEvent, rules):
    if not rules.digests or event.is_bot:
        return event
    event.visitor_digest = visitors.digest(
        day=req.time.date(), address=req.address, user_agent=req.user_agent, site=req.host
    )
    return event


PIPELINE = (
    drop_non_page_method,
    drop_non_page_status,
    drop_non_page_type,
    drop_excluded_path,
    put_user_agent,
    put_referrer_domain,
    put_visitor_digest,
)


def build(req: PageRequest, rules: RecordingRules) -> PageEvent | Drop:
    """The page view `req` makes under `rules`, or why it makes none."""
    event = PageEvent(time=req.time, path=req.path[:2000], address=req.address)
    for step in PIPELINE:
        event = step(req, event, rules)
        if isinstance(event, Drop):
            return event
    return event

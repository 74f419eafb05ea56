"""Two middlewares of the enforcement floor.

AuditMiddleware (SEC-5): a request's audit entries are committed together, before the
response leaves (audit.one_commit).

DeclaredCookiesMiddleware (CK-6): a response sets only the cookies the policy declares,
each for the lifetime it declares and with safe flags; an undeclared cookie is stripped
and logged.

The declaration is the authority on a cookie's lifetime: one declared for a
browser session leaves with no Expires or Max-Age, one declared for N days with
Max-Age N days. Code that asked for another lifetime is overruled and logged (a
bug to fix); code that asked for none gets the declared one. A cookie being
deleted (Max-Age 0) passes as it is.
"""

import logging
import time

from django.conf import settings
from django.utils.http import http_date

from hippocratic.enforcement import audit
from hippocratic.provider import current_policy

logger = logging.getLogger("hippocratic.cookies")


class AuditMiddleware:
    """A request's audit entries in one commit, before its response leaves
    (audit.one_commit). Outside every middleware and view that reads personal data."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        with audit.one_commit():
            return self.get_response(request)


class DeclaredCookiesMiddleware:
    """Outermost but one, so it sees every cookie the stack below it sets."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        declared = {cookie.name: cookie for cookie in current_policy().cookies}
        for name in list(response.cookies):
            cookie = declared.get(name)
            if cookie is None:
                del response.cookies[name]
                logger.error(
                    "CK-6: refused to set undeclared cookie %r on %s", name, request.path,
                    extra={"promise": "CK-6", "cookie": name},
                )  # fmt: skip
                continue
            morsel = response.cookies[name]
            if not _deleting(morsel):
                _declared_lifetime(morsel, cookie.max_age_days, request.path)
                _safe_flags(morsel, name, request.is_secure())
        return response


def _deleting(morsel) -> bool:
    return str(morsel["max-age"]) == "0"


def _declared_lifetime(morsel, days: int | None, path: str) -> None:
    wanted = str(days * 86400) if days else ""
    asked = str(morsel["max-age"])
    if asked == wanted and (days or not morsel["expires"]):
        return
    if asked or morsel["expires"]:
        logger.warning(
            "CK-6: cookie %r was set for %s on %s; the policy declares %s",
            morsel.key, asked or morsel["expires"], path,
            f"{days} day(s)" if days else "one browser session",
        )  # fmt: skip
    morsel["max-age"] = wanted
    morsel["expires"] = http_date(time.time() + days * 86400) if days else ""


def _safe_flags(morsel, name: str, secure_request: bool) -> None:
    # Scripts need not read any cookie but the CSRF token (sent back as a header).
    if name != settings.CSRF_COOKIE_NAME:
        morsel["httponly"] = True
    if not morsel["samesite"]:
        morsel["samesite"] = "Lax"
    if secure_request:
        morsel["secure"] = True

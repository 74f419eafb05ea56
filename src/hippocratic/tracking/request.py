"""The page request, taken from the HTTP request once (Plausible's ingestion
shape: nothing further down reads the raw request or its headers)."""

import datetime as dt
import ipaddress
from typing import NamedTuple

from django.conf import settings
from django.http import HttpRequest, HttpResponse


class PageRequest(NamedTuple):
    """Immutable, and cheap to make a million of (log imports)."""

    time: dt.datetime
    method: str
    path: str  # without the query string
    status: int
    content_type: str
    address: str  # held in memory only, never stored (VIS-4)
    user_agent: str
    referrer: str
    host: str


def client_address(request: HttpRequest) -> str:
    """The client's address as the site sees it, for the visitor log and the rate limits
    alike (site.limits, RATELIMIT_IP_META_KEY): the proxy's header where one is
    configured (HIPPOCRATIC_CLIENT_IP_HEADER) and holds an address, else REMOTE_ADDR
    (never a 500 on a bad header)."""
    value = request.META.get(settings.CLIENT_IP_META_KEY, "")
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return request.META.get("REMOTE_ADDR", "")
    return value


def from_http(request: HttpRequest, response: HttpResponse, time: dt.datetime) -> PageRequest:
    return PageRequest(
        time=time,
        method=request.method or "",
        path=request.path,
        status=response.status_code,
        content_type=response.get("Content-Type", ""),
        address=client_address(request),
        user_agent=request.META.get("HTTP_USER_AGENT", ""),
        referrer=request.META.get("HTTP_REFERER", ""),
        host=request.META.get("HTTP_HOST", "").lower(),
    )

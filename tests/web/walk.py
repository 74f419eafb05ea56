"""Every URL the project serves, as concrete paths: the walk the authorisation,
CSRF and password tests take."""

import re

from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.resolvers import RegexPattern, RoutePattern

_ROUTE_PARAM = re.compile(r"<(?:[^>:]+:)?([^>]+)>")
_REGEX_GROUP = re.compile(r"\(\?P<([^>]+)>(?:[^()]|\([^()]*\))*\)")


def _concrete(pattern, values: dict[str, str]) -> str:
    text = str(pattern)
    if isinstance(pattern, RoutePattern):
        return _ROUTE_PARAM.sub(lambda m: values.get(m.group(1), "1"), text)
    assert isinstance(pattern, RegexPattern)
    text = _REGEX_GROUP.sub(lambda m: values.get(m.group(1), "1"), text)
    return text.lstrip("^").rstrip("$").replace("\\", "")


def paths(values: dict[str, str]) -> list[str]:
    """One concrete path per URL pattern, parameters filled from `values` (else "1")."""
    found: list[str] = []

    def walk(patterns, prefix):
        for p in patterns:
            here = prefix + _concrete(p.pattern, values)
            if isinstance(p, URLResolver):
                walk(p.url_patterns, here)
            elif isinstance(p, URLPattern):
                found.append("/" + here)

    walk(get_resolver().url_patterns, "")
    return sorted(set(found))


def everyone_and_every_path(grace) -> tuple[list, dict[str, str]]:
    """A stranger, Grace and a superuser (fresh clients), and the values that make
    every URL pattern a path of Grace's (her subscription, her rows)."""
    from django.contrib.auth.models import User
    from django.test import Client

    grace_client, me, subscription, _ = grace
    root = Client()
    root.force_login(User.objects.create_superuser("root"))
    values = {"subscription_id": str(subscription), "object_id": str(me), "token": "x",
              "app_label": "accounts"}  # fmt: skip
    return [Client(), grace_client, root], values

"""Rate limits on the doors anyone may knock at (issue 30, item 4): every anonymous
form, the one-click unsubscribe, the partner API. django-ratelimit counts on Django's
cache (Redis where REDIS_URL is set, shared by every worker; otherwise each process's
own memory); a request over a limit gets the 429 page (`site.views.rate_limited`).

Two limits each: one per client (its address, as the visitor log sees it:
tracking.request.client_address, which RATELIMIT_IP_META_KEY names), and one per
target where a form names one (the address a form mails, the message a report names),
so no one mails a stranger without bound from many addresses. Only POSTs count:
reading a form is free."""

from django_ratelimit.decorators import ratelimit

PER_CLIENT = "20/m"  # one address's posts to one door
PER_TARGET = "5/h"  # posts naming one address or message, from anywhere
PARTNER = "60/h"  # one partner token's shares (each is a disclosure)


def _field(name: str):
    def key(group, request) -> str:
        return request.POST.get(name, "").strip().lower()[:254]

    return key


def _when_named(name: str, rate: str):
    """The per-target rate, only where the post names a target: a signed-in customer's
    form has no address field, and they must not all share one bucket."""

    def rate_of(group, request) -> str | None:
        return rate if request.POST.get(name, "").strip() else None

    return rate_of


def limited(group: str, *, target: str | None = None, per_client: str = PER_CLIENT,
            per_target: str = PER_TARGET):  # fmt: skip
    """The view's POSTs limited per client, and per the value of the form field
    `target` where one is named."""

    def wrap(view):
        view = ratelimit(group=group, key="ip", rate=per_client, method="POST", block=True)(view)
        if target is not None:
            view = ratelimit(group=f"{group}:{target}", key=_field(target),
                             rate=_when_named(target, per_target), method="POST",
                             block=True)(view)  # fmt: skip
        return view

    return wrap


def per_login(group: str, rate: str = PER_TARGET):
    """The view's POSTs limited per signed-in login: where a page asks for the password
    again (closing the account, new recovery codes), a session someone else holds must
    not try passwords without bound (axes counts only the login form's failures)."""
    return ratelimit(group=group, key="user", rate=rate, method="POST", block=True)


def per_partner(view):
    """A partner's share calls, limited per token (and per client)."""
    view = ratelimit(group="partner-share", key="header:authorization", rate=PARTNER,
                     method=ratelimit.ALL, block=True)(view)  # fmt: skip
    return ratelimit(group="partner-share", key="ip", rate=PER_CLIENT, method=ratelimit.ALL,
                     block=True)(view)  # fmt: skip

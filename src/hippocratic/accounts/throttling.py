"""django-axes, keeping only what throttling needs (SEC-1): a keyed pseudonym of the
user name tried and a count of failures. No address (VIS-4), no browser (VIS-3), no
form data: the three profiles whose page says no browser is ever recorded mean it of
failed logins too, and conformance checks the rows (enforcement.libraries)."""

from axes.handlers.database import AxesDatabaseHandler
from axes.models import AccessAttempt
from django.http import QueryDict

from hippocratic.enforcement import tokens


def no_address(request) -> None:
    """Axes keys attempts by user name here; it is given no address to store (VIS-4)."""
    return None


def pseudonym_of(username: str) -> str:
    """The user name as axes keeps it: an HMAC under the site's secret, the same for
    every spelling's case, from which the name cannot be read back."""
    return "h:" + tokens.login_pseudonym.digest(username.strip().lower())


def pseudonym(request, credentials) -> str | None:
    """AXES_USERNAME_CALLABLE: the pseudonym of the user name being tried."""
    if credentials:
        name = credentials.get("username")
    else:
        name = getattr(request, "POST", {}).get("username") if request is not None else None
    return pseudonym_of(name) if name else None


class _WithoutClientData:
    """The request as the handler may see it: no query or form data; what it sets on
    the request (a lockout, a count) reaches the real one."""

    def __init__(self, request):
        object.__setattr__(self, "_request", request)
        object.__setattr__(self, "GET", QueryDict())
        object.__setattr__(self, "POST", QueryDict())

    def __getattr__(self, name):
        return getattr(self._request, name)

    def __setattr__(self, name, value):
        setattr(self._request, name, value)


class MinimalHandler(AxesDatabaseHandler):
    """Axes' database handler, given nothing of the client but the pseudonym."""

    def user_login_failed(self, sender, credentials: dict, request=None, **kwargs):
        if request is not None:
            request.axes_user_agent = ""
            request.axes_http_accept = ""
            request.axes_ip_address = None
            request = _WithoutClientData(request)
        result = super().user_login_failed(sender, credentials, request, **kwargs)
        # Axes joins each failure's (here empty) form data to the last with a separator:
        # keep the fields empty, not a growing line of dashes.
        name = pseudonym(request, credentials)
        if name:
            AccessAttempt.objects.filter(username=name).exclude(get_data="", post_data="").update(
                get_data="", post_data=""
            )
        return result

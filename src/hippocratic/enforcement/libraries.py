"""Personal data in the libraries' tables: Django's logins and sessions, django-axes'
login attempts, the task queue. They are not read through the gateway (Django's
authentication reads them), but they are held to the policy as ours are: each field
that holds personal data names its category and whose it is, so `policy conformance`
fails where one stores a category the policy does not collect (a browser's user agent
in a failed login, where the page says no browser is ever recorded).

Every model that is not one of ours is listed here, personal or not: a library's new
table is a conformance finding until it is declared.
"""

import re
from dataclasses import dataclass, field

CUSTOMER = "customer"


@dataclass(frozen=True)
class LibraryModel:
    """Whose rows these are (a data subject, or "" for no one's) and the category of each
    field that holds personal data; every other field is technical. `why` says so."""

    subject: str
    fields: dict[str, str] = field(default_factory=dict)
    why: str = ""


NOT_PERSONAL = LibraryModel("", {}, "holds no one's personal data")
_ATTEMPT = {
    "username": "user.account.username",  # a keyed pseudonym (accounts.throttling)
    "user_agent": "user.device",
    "http_accept": "user.device",
    "ip_address": "user.device.ip_address",
}

LIBRARY_MODELS: dict[str, LibraryModel] = {
    "auth.User": LibraryModel(
        CUSTOMER,
        {
            "username": "user.account.username",
            "password": "user.authorization.password",
            "email": "user.contact.email",
            "first_name": "user.name",
            "last_name": "user.name",
        },
        "a customer's (or a staff member's) login",
    ),
    "auth.User_groups": NOT_PERSONAL,
    "auth.User_user_permissions": NOT_PERSONAL,
    "auth.Group": NOT_PERSONAL,
    "auth.Group_permissions": NOT_PERSONAL,
    "auth.Permission": NOT_PERSONAL,
    "contenttypes.ContentType": NOT_PERSONAL,
    "admin.LogEntry": LibraryModel(
        "", {}, "staff actions: a row's label (Customer #12) and the names of changed fields"
    ),
    "sessions.Session": LibraryModel(
        CUSTOMER,
        {"session_data": "user.account"},
        "a signed-in session: the login's number, as Django keeps it",
    ),
    "axes.AccessAttempt": LibraryModel(
        CUSTOMER,
        {**_ATTEMPT, "get_data": "user.account.username", "post_data": "user.account.username"},
        "a failed login's count",
    ),
    "axes.AccessFailureLog": LibraryModel(CUSTOMER, _ATTEMPT, "a failed login (not kept here)"),
    "axes.AccessLog": LibraryModel(CUSTOMER, _ATTEMPT, "a login (not kept here)"),
    "axes.AccessAttemptExpiration": NOT_PERSONAL,
    "django_tasks_database.DBTaskResult": LibraryModel(
        "", {}, "a background task: its arguments are ids and tokens only (TASK_ARGUMENTS)"
    ),
}

# What a task's arguments and result may hold: numbers, and short technical tokens (a
# kind, a job's name). Never a name, an address or a text.
TOKEN = re.compile(r"[A-Za-z0-9_.:-]{0,80}")


def technical(value) -> bool:
    """Whether a task argument or result holds nothing but ids and tokens."""
    if value is None or isinstance(value, (bool, int, float)):
        return True
    if isinstance(value, str):
        return bool(TOKEN.fullmatch(value))
    if isinstance(value, (list, tuple)):
        return all(technical(v) for v in value)
    if isinstance(value, dict):
        return all(technical(k) and technical(v) for k, v in value.items())
    return False

"""Identity before action: a mailed request from a customer's address is acted on
only after a signed link, sent to that address, is followed and confirmed. The link
names the request, never the customer; it lasts two weeks and works once (the
request leaves "confirming" when it is confirmed)."""

from django.core import signing

SALT = "hippocratic.requests.confirm"
VIEW_SALT = "hippocratic.requests.view"
MAX_AGE = 14 * 24 * 3600


def _sign(request_id: int, salt: str) -> str:
    return signing.dumps(request_id, salt=salt, compress=False)


def _request_of(token: str, salt: str, max_age: int | None = None) -> int | None:
    try:
        value = signing.loads(token, salt=salt, max_age=max_age)
    except signing.BadSignature:  # also SignatureExpired
        return None
    return value if isinstance(value, int) else None


def confirm_token(request_id: int) -> str:
    return _sign(request_id, SALT)


def confirmed_request(token: str) -> int | None:
    return _request_of(token, SALT, MAX_AGE)


def view_token(request_id: int) -> str:
    """The asker's link to their own request (a visitor has no account to see it in)."""
    return _sign(request_id, VIEW_SALT)


def viewed_request(token: str) -> int | None:
    return _request_of(token, VIEW_SALT)

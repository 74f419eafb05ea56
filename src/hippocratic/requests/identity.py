"""Identity before action: a mailed request from a customer's address is acted on
only after a signed link, sent to that address, is followed and confirmed. The link
names the request, never the customer; it lasts two weeks and works once (the
request leaves "confirming" when it is confirmed)."""

from django.core import signing

SALT = "hippocratic.requests.confirm"
VIEW_SALT = "hippocratic.requests.view"
MAX_AGE = 14 * 24 * 3600


def confirm_token(request_id: int) -> str:
    return signing.dumps(request_id, salt=SALT, compress=False)


def confirmed_request(token: str) -> int | None:
    try:
        value = signing.loads(token, salt=SALT, max_age=MAX_AGE)
    except signing.BadSignature:  # also SignatureExpired
        return None
    return value if isinstance(value, int) else None


def view_token(request_id: int) -> str:
    """The asker's link to their own request (a visitor has no account to see it in)."""
    return signing.dumps(request_id, salt=VIEW_SALT, compress=False)


def viewed_request(token: str) -> int | None:
    try:
        value = signing.loads(token, salt=VIEW_SALT)
    except signing.BadSignature:
        return None
    return value if isinstance(value, int) else None

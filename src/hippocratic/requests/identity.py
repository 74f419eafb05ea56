"""Identity before action: a mailed request from a customer's address is acted on
only after a signed link, sent to that address, is followed and confirmed. The link
names the request, never the customer; it lasts two weeks and works once (the
request leaves "confirming" when it is confirmed)."""

from hippocratic.enforcement import tokens

MAX_AGE = 14 * 24 * 3600


def _request_of(value) -> int | None:
    return value if isinstance(value, int) else None


def confirm_token(request_id: int) -> str:
    return tokens.confirm_link.make(request_id)


def confirmed_request(token: str) -> int | None:
    return _request_of(tokens.confirm_link.check(token, max_age=MAX_AGE))


def view_token(request_id: int) -> str:
    """The asker's link to their own request (a visitor has no account to see it in)."""
    return tokens.view_link.make(request_id)


def viewed_request(token: str) -> int | None:
    return _request_of(tokens.view_link.check(token))

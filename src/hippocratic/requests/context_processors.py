"""Whether the account pages offer the choices page (accounts does not import requests)."""

from hippocratic.requests import choices


def requests(request) -> dict:
    if not request.path.startswith("/account/") or not request.user.is_authenticated:
        return {}
    return {"offers_choices": bool(choices.options())}

"""The order-form cookie (CK-2): what a visitor typed into a product's order form,
kept in their own browser, signed, for the lifetime the policy declares, and deleted
once the order is placed. It holds no identity of ours: no id, no session."""

from hippocratic.enforcement import tokens
from hippocratic.provider import current_policy
from hippocratic.purposes import Purpose

COOKIE = "order_form"
MAX_BYTES = 3000  # a browser keeps about 4 KB per cookie


def declared():
    return next((c for c in current_policy().cookies if c.name == COOKIE), None)


def orders_taken() -> bool:
    """Whether products are ordered on their own landing page (CK-2, for sales), rather
    than through sign-up."""
    policy = current_policy()
    return policy.makes("CK-2") and Purpose.SALES in policy.purposes and declared() is not None


def read(request, fields: set[str]) -> dict[str, str]:
    """What the cookie holds of `fields`; nothing if it was altered or has expired."""
    cookie = declared()
    raw = request.COOKIES.get(COOKIE, "")
    if cookie is None or not raw or len(raw) > MAX_BYTES:
        return {}
    kept = tokens.order_form_cookie.check(raw, max_age=(cookie.max_age_days or 1) * 86400)
    if not isinstance(kept, dict):
        return {}
    return {k: str(v)[:500] for k, v in kept.items() if k in fields}


def keep(response, request, typed: dict[str, str]) -> bool:
    """Set the cookie with what was typed; False when it would not fit or is not declared."""
    cookie = declared()
    value = tokens.order_form_cookie.make({k: v for k, v in typed.items() if v})
    if cookie is None or len(value) > MAX_BYTES:
        return False
    response.set_cookie(
        COOKIE, value, max_age=(cookie.max_age_days or 1) * 86400, secure=request.is_secure(),
        httponly=True, samesite="Lax",
    )  # fmt: skip
    return True


def forget(response) -> None:
    response.delete_cookie(COOKIE, samesite="Lax")

"""The affiliate cookie (CK-5): a visitor who follows an affiliate's or a promotion's
link is asked first; only if they accept does a cookie that lasts this browser session
name the affiliate, and a sign-up in that session credits it (a Referral)."""

from hippocratic.billing.models import Invoice
from hippocratic.enforcement import tokens
from hippocratic.enforcement.actors import Actor
from hippocratic.provider import current_policy
from hippocratic.purposes import Purpose
from hippocratic.sales.models import Affiliate, Referral

COOKIE = "affiliate"
REFERRALS = Actor.system("sales.referrals")


def declared():
    policy = current_policy()
    cookie = next((c for c in policy.cookies if c.name == COOKIE), None)
    return cookie if cookie and policy.makes("CK-5") else None


def set_cookie(response, request, code: str) -> None:
    # No max_age: the cookie ends with the browser session, as the policy promises.
    response.set_cookie(COOKIE, tokens.affiliate_cookie.make(code), secure=request.is_secure(),
                        httponly=True, samesite="Lax")  # fmt: skip


def code_of(request) -> str | None:
    raw = request.COOKIES.get(COOKIE, "")
    if not raw or len(raw) > 200 or declared() is None:
        return None
    code = tokens.affiliate_cookie.check(raw)
    return code if isinstance(code, str) else None


def credit(sender, *, customer_id: int, request, **kwargs) -> None:
    """After a sign-up: credit the affiliate named by an accepted cookie."""

    code = code_of(request)
    affiliate = Affiliate.objects.filter(code=code, active=True).first() if code else None
    if affiliate is None:
        return
    me = Actor.for_customer(customer_id)  # their own sign-up, crediting whom they accepted
    Referral.objects.for_purpose(me, Purpose.SERVICE).create(
        customer_id=customer_id, affiliate=affiliate
    )


def joint_customers(recipient_key: str, customer_ids) -> set[int]:
    """A referral partner's joint customers among `customer_ids`: those who signed up
    through one of its affiliates' links and have since paid us (DIS-4: "customers who
    become paying users ... through a Referral Partner"); a sign-up alone is not one."""

    rows = Referral.objects.for_purpose(REFERRALS, Purpose.SERVICE)
    referred = set(
        rows.filter(
            customer_id__in=list(customer_ids), affiliate__partner=recipient_key
        ).values_list("customer_id", flat=True)
    )
    if not referred:
        return set()
    # Whether they have paid is billing data, read to determine referral fees (the seed's
    # own reason for the sharing), as billing.
    invoices = Invoice.objects.for_purpose(REFERRALS, Purpose.PAYMENT)
    return set(
        invoices.filter(customer_id__in=list(referred), paid_at__isnull=False)
        .values_list("customer_id", flat=True)
        .distinct()
    )

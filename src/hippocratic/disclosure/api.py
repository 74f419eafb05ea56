"""The partner API: a registered partner fetches what the policy lets it have, with
its own token (Authorization: Bearer …). Each call is a share: a Disclosure, and a
`disclose` entry per customer in the chain."""

from django.http import HttpResponse
from ninja import Router
from ninja.security import HttpBearer

from hippocratic.disclosure import partners
from hippocratic.disclosure.services import DisclosureRefused
from hippocratic.site import limits

router = Router(tags=["partners"])


class PartnerToken(HttpBearer):
    def authenticate(self, request, token):
        return partners.by_token(token)


@router.get(
    "/partner/share",
    auth=PartnerToken(),
    response={200: None, 400: None, 401: None, 403: None},
    summary="A partner's share: the customers and fields the policy lets it have",
)
@limits.per_partner
def partner_share(request, format: str = "json"):
    if format not in ("json", "csv"):
        return HttpResponse("format is json or csv", status=400, content_type="text/plain")
    try:
        _, package = partners.share(request.auth)
    except DisclosureRefused as refused:
        return HttpResponse(str(refused), status=403, content_type="text/plain")
    if format == "csv":
        return HttpResponse(partners.as_csv(package), content_type="text/csv; charset=utf-8")
    return HttpResponse(package, content_type="application/json")

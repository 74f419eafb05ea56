"""The JSON API, with its OpenAPI schema at /api/openapi.json and docs at /api/docs."""

from functools import wraps

from django.conf import settings
from django.db import DataError
from django.http.multipartparser import MultiPartParserError
from django.utils.csp import CSP
from ninja import NinjaAPI

from hippocratic.accounts.api import catalogue
from hippocratic.accounts.api import router as own_data
from hippocratic.communications.api import router as mail
from hippocratic.disclosure.api import router as partner_api
from hippocratic.hosted.api import router as hosted_records
from hippocratic.requests.api import router as choices_and_requests


def _docs_styles_inline(view):
    """Swagger UI sets style attributes from its script: the docs page alone may have
    inline styles. Its script and styles come from the project's static files."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        response._csp_config = {**settings.SECURE_CSP, "style-src": [CSP.SELF, CSP.UNSAFE_INLINE]}
        return response

    return wrapped


api = NinjaAPI(
    title="Hippocratic",
    version="1",
    description="A customer's own data, under the provider's privacy policy.",
    urls_namespace="api",
    docs_decorator=_docs_styles_inline,
)


@api.exception_handler(MultiPartParserError)
def _unreadable_body(request, exc):
    """A multipart body without a boundary (or otherwise unreadable), met inside the CSRF
    check: 400. Django answers it so, but ninja's own handler answered 500 with DEBUG on."""
    return api.create_response(
        request, {"detail": f"the request body cannot be read: {exc}"[:200]}, status=400
    )


@api.exception_handler(DataError)
def _data_the_database_cannot_hold(request, exc):
    """A value the database refuses to hold (SQLSTATE class 22: PostgreSQL's NUL in
    text, a number past its column's range): the request's fault, so 422 and one line,
    not a 500 (schemathesis found a NUL in a service's code, issue 30). Nothing was
    written: the statement failed."""
    return api.create_response(
        request, {"detail": "the request holds a value the database cannot keep "
                            "(a NUL character, or a number out of range)"}, status=422,
    )  # fmt: skip


api.add_router("/", own_data)
api.add_router("/", choices_and_requests)
api.add_router("/", mail)
api.add_router("/", hosted_records)
api.add_router("/", partner_api)
api.add_router("/services", catalogue)

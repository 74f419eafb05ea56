"""CK-6: a response sets only cookies the policy declares; others are stripped and logged."""

import logging

from hippocratic.provider import current_policy

logger = logging.getLogger("hippocratic.cookies")


class DeclaredCookiesMiddleware:
    """Outermost but one, so it sees every cookie the stack below it sets."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        declared = {cookie.name for cookie in current_policy().cookies}
        for name in [n for n in response.cookies if n not in declared]:
            del response.cookies[name]
            logger.error(
                "CK-6: refused to set undeclared cookie %r on %s", name, request.path,
                extra={"promise": "CK-6", "cookie": name},
            )  # fmt: skip
        return response

"""Signs a returning customer in from their "remember me" cookie (CK-4)."""

from hippocratic.accounts import remember, services


class RememberMeMiddleware:
    """After AuthenticationMiddleware: an anonymous request with a valid cookie
    gets a fresh session and a fresh cookie; an invalid cookie is deleted."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        value = request.COOKIES.get(remember.COOKIE)
        renewed = forget = None
        if value and not request.user.is_authenticated and remember.declared():
            user = remember.redeem(value)
            if user is not None:
                services.session_start(request, user)
                renewed = remember.issue(user)
            else:
                forget = True
        response = self.get_response(request)
        if renewed:
            cookie, max_age = renewed
            response.set_cookie(
                remember.COOKIE, cookie, max_age=max_age, secure=request.is_secure(),
                httponly=True, samesite="Lax",
            )  # fmt: skip
        elif forget:
            response.delete_cookie("remember_me", samesite="Lax")
        return response

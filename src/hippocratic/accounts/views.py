"""The secure area's doors: log in, log off, log out everywhere."""

from django.contrib.auth.decorators import login_required
from django.middleware.csrf import REASON_NO_CSRF_COOKIE
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from hippocratic.accounts import remember, services
from hippocratic.accounts.forms import LoginForm
from hippocratic.accounts.models import AccountSession

COOKIES_NEEDED = (
    "Your browser did not send back our session cookie. The secure area needs it: it "
    "carries only the signed proof that you logged in, for this visit. Allow cookies "
    "for this site, then log in again."
)


def _next(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    safe = url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return target if safe else "accounts:home"


@sensitive_post_parameters("password")
@csrf_protect
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def login(request):
    declared = remember.declared()
    days = declared.max_age_days if declared else None
    form = LoginForm(request, data=request.POST or None, remember_days=days)
    if request.method == "POST":
        if not request.session.test_cookie_worked():
            return render(request, "accounts/cookies_needed.html", {"message": COOKIES_NEEDED},
                          status=403)  # fmt: skip
        if form.is_valid():
            request.session.delete_test_cookie()
            services.session_start(request, form.get_user())
            response = redirect(_next(request))
            if days and form.cleaned_data.get("remember"):
                value, max_age = remember.issue(form.get_user())
                response.set_cookie(
                    remember.COOKIE, value, max_age=max_age, secure=request.is_secure(),
                    httponly=True, samesite="Lax",
                )  # fmt: skip
            return response
    request.session.set_test_cookie()
    return render(request, "accounts/login.html", {"form": form, "next": _next(request)})


@require_POST
def logout(request):
    services.session_end(request)
    response = redirect("site:home")
    response.delete_cookie("remember_me", samesite="Lax")
    return response


@login_required
@require_POST
def logout_everywhere(request):
    ended = services.sessions_end_all(request)
    response = render(request, "accounts/logged_out.html", {"others": ended})
    response.delete_cookie("remember_me", samesite="Lax")
    return response


@login_required
@never_cache
@require_safe
def home(request):
    sessions = AccountSession.objects.filter(user=request.user).count()
    return render(request, "accounts/home.html", {"sessions": sessions})


def csrf_failure(request, reason=""):
    """CSRF_FAILURE_VIEW: a browser that refuses cookies is told so plainly (CK-3)."""
    if reason == REASON_NO_CSRF_COOKIE:
        message = COOKIES_NEEDED
    else:
        message = "This form has expired or did not come from our site. Reload it and try again."
    return render(request, "accounts/cookies_needed.html", {"message": message}, status=403)

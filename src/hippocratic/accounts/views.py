"""The secure area's doors (log in, log off, log out everywhere), sign-up, and the
customer's own account: profile, services, organisation, their data (ACC-1…ACC-9)."""

import json

from django.conf import settings
from django.contrib import auth, messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.serializers.json import DjangoJSONEncoder
from django.http import Http404, HttpResponse
from django.middleware.csrf import REASON_NO_CSRF_COOKIE
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from hippocratic.accounts import closing, own_data, recovery, remember, services, tasks
from hippocratic.accounts.contact import INQUIRY, PROFILE, asked_at
from hippocratic.accounts.decorators import customer_required
from hippocratic.accounts.forms import (
    ContactForm,
    LoginForm,
    PasswordCheckForm,
    RecoverByCodeForm,
    RecoverByMailForm,
    SignUpForm,
)
from hippocratic.accounts.models import AccountEvent, AccountSession, Customer, Prospect, Service
from hippocratic.accounts.signals import signed_up
from hippocratic.enforcement import proofs
from hippocratic.enforcement.actors import Actor
from hippocratic.provider import current_policy
from hippocratic.site import limits

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
@limits.limited("login")
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


def csrf_failure(request, reason=""):
    """CSRF_FAILURE_VIEW: a browser that refuses cookies is told so plainly (CK-3)."""
    if reason == REASON_NO_CSRF_COOKIE:
        message = COOKIES_NEEDED
    else:
        message = "This form has expired or did not come from our site. Reload it and try again."
    return render(request, "accounts/cookies_needed.html", {"message": message}, status=403)


# --- Sign-up and inquiries (ACC-1, ACC-2, ACC-5, ACC-6) --------------------------------------


def _organisations() -> bool:
    return current_policy().makes("ACC-5")


@sensitive_post_parameters("password1", "password2")
@csrf_protect
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
@limits.limited("sign-up", target="email")
def sign_up(request, token: str | None = None):
    organisation = None
    if token is not None:
        organisation = services.organisation_of_invitation(token) if _organisations() else None
        if organisation is None:
            raise Http404("This invitation is not valid, or has expired.")
    offer_organisation = _organisations() and organisation is None
    form = SignUpForm(request.POST or None, organisations=offer_organisation)
    if request.method == "POST" and form.is_valid():
        user, customer_id = services.sign_up(form, organisation=organisation)
        signed_up.send(sender=Customer, customer_id=customer_id, request=request)
        services.session_start(request, user)
        messages.success(request, "Welcome. Your account is ready.")
        return redirect("accounts:home" if recovery.by_mail() else "accounts:recovery_codes")
    return render(request, "accounts/sign_up.html", {"form": form, "invited": organisation})


@csrf_protect
@require_http_methods(["GET", "HEAD", "POST"])
@limits.limited("inquiry", target="email")
def inquiry(request):
    """Ask for information: the asker becomes a prospect, kept apart (ACC-6)."""
    if "prospect" not in current_policy().subjects:
        raise Http404("This provider takes no inquiries here.")
    form = ContactForm(request.POST or None, model=Prospect, points=INQUIRY)
    if request.method == "POST" and form.is_valid():
        services.prospect_inquire({k: v for k, v in form.contact_data.items() if v})
        return render(request, "accounts/inquiry_thanks.html")
    return render(request, "accounts/inquiry.html", {"form": form})


# --- The customer's own account (ACC-3, ACC-7, ACC-9) ---------------------------------------


@customer_required
@never_cache
@require_safe
def home(request, me: int):
    sessions = AccountSession.objects.filter(user=request.user).count()
    mine = own_data.profile(me)
    return render(request, "accounts/home.html", {
        "sessions": sessions, "profile": _labelled(mine),
        "status": Customer.Status(mine["status"]).label,
        "subscriptions": services.subscriptions(me),
        "owner": mine.get("membership") == Customer.Membership.OWNER,
        "recovery_codes": not recovery.by_mail(),
    })  # fmt: skip


def _labelled(profile: dict) -> list[tuple[str, object]]:
    """(label, value) for the profile fields the policy collects, labelled as it says."""
    labels = {name: item.label for name, item in asked_at(Customer, PROFILE)}
    return [(labels[k], profile[k]) for k in labels if k in profile]


@customer_required
@csrf_protect
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def profile(request, me: int):
    """See and correct every contact detail (ACC-7); optional ones may be emptied (ACC-2)."""
    initial = services.contact_details(me)
    form = ContactForm(request.POST or None, initial=initial, model=Customer, points=PROFILE)
    if request.method == "POST" and form.is_valid():
        changed = services.update_profile(me, form.contact_data)
        if changed:
            services.request_done(me, "correction", "portal", "corrected: " + ", ".join(changed),
                                  by=Actor.for_customer(me))  # fmt: skip
        messages.success(request, "Saved." if changed else "Nothing changed.")
        return redirect("accounts:home")
    return render(request, "accounts/profile.html", {"form": form})


@customer_required
@require_POST
def subscribe(request, me: int):
    service = get_object_or_404(Service, pk=request.POST.get("service"), available=True)
    try:
        services.subscribe(me, service)
    except services.ServiceRefused as refusal:
        messages.error(request, str(refusal))
        return redirect(refusal.where or "accounts:services")
    messages.success(request, f"You now have {service.name}.")
    return redirect("accounts:home")


@customer_required
@require_POST
def discontinue(request, me: int, subscription_id: int):
    """End one of your services (ACC-7); another customer's is not found (ACC-9)."""
    if not services.discontinue(me, subscription_id):
        raise Http404("No such service of yours is running.")
    messages.success(request, "The service is discontinued.")
    return redirect("accounts:home")


@customer_required
@never_cache
@require_safe
def catalogue(request, me: int):
    return render(request, "accounts/services.html", {
        "services": Service.objects.filter(available=True)
    })  # fmt: skip


@customer_required
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
@csrf_protect
def organisation(request, me: int):
    """The owner invites colleagues with a signed link (ACC-5)."""
    if not _organisations():
        raise Http404("No organisations here.")
    mine = services.own_customer(me)
    if mine.membership != Customer.Membership.OWNER:
        raise Http404("Only the organisation's owner invites people.")
    link = None
    if request.method == "POST":
        token = services.invitation_token(mine.organisation_id)
        link = request.build_absolute_uri(reverse("accounts:join", args=[token]))
    members = services.organisation_size(mine.organisation_id)
    return render(request, "accounts/organisation.html", {
        "link": link, "members": members, "days": services.INVITATION_DAYS,
    })  # fmt: skip


# --- Their data: see it, take it, erase it (ACC-7, ACC-8) ------------------------------------


@customer_required
@never_cache
@require_safe
def my_data(request, me: int):
    held = own_data.everything(me)
    page = own_data.for_the_page(held)
    return render(request, "accounts/my_data.html", {
        "held": held, "profile": page["profile"], "sections": page["sections"],
        "beyond_policy": held["beyond_policy"],
        "erasable": current_policy().makes("ACC-8"),
        "accesses": own_data.accesses(me), "operator_key": _operator_key(),
    })  # fmt: skip


def _operator_key() -> str:
    """The key the audit log's heads are signed with, for the page's proof checker."""
    try:
        return proofs.public_key_b64()
    except LookupError:
        return ""


@customer_required
@never_cache
@require_safe
def export(request, me: int):
    held = own_data.everything(me)
    services.log_event(me, AccountEvent.Kind.EXPORTED, "JSON")
    services.request_done(me, "access", "portal", "exported as JSON", by=Actor.for_customer(me))
    body = json.dumps(held, cls=DjangoJSONEncoder, indent=1)
    response = HttpResponse(body, content_type="application/json")
    response["Content-Disposition"] = 'attachment; filename="my-data.json"'
    return response


ERASE_WORD = "ERASE"


@customer_required
@csrf_protect
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def erase(request, me: int):
    """Erase the account (ACC-8): typed confirmation, then everything goes except
    the billing records the law makes us keep, which are marked as such."""
    if not current_policy().makes("ACC-8"):
        raise Http404("Ask support to close your account.")
    error = ""
    if request.method == "POST":
        if request.POST.get("confirm", "").strip() != ERASE_WORD:
            error = f"Type {ERASE_WORD} to confirm."
        else:
            try:
                own_data.erase(me, by=Actor.for_customer(me))  # its login and sessions too
            except own_data.ErasureHeld:  # a legal hold: the request waits for its end
                services.erasure_waiting(me, "portal", by=Actor.for_customer(me))
                return render(request, "accounts/erase_waits.html")
            services.request_done(None, "deletion", "portal", "erased; records the law "
                                  "requires are kept", by=Actor.for_customer(me))  # fmt: skip
            services.session_end(request)
            response = render(request, "accounts/erased.html")
            response.delete_cookie("remember_me", samesite="Lax")
            return response
    kept = own_data.legally_retained()
    return render(
        request, "accounts/erase.html", {"word": ERASE_WORD, "error": error, "kept": kept}
    )


# --- Closing the account (issue 31): not erasure; retention runs from the closing ----------


@sensitive_post_parameters("password")
@customer_required
@csrf_protect
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
@limits.per_login("close")
def close(request, me: int):
    """Close the account, after the password again: services end, what is owed is
    invoiced, cards go, the login stops; the page says what is kept, and until when."""
    form = PasswordCheckForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            closed = closing.close(me, by=Actor.for_customer(me))
        except closing.AlreadyClosed:
            raise Http404("This account is closed already.") from None
        auth.logout(request)  # the session's row went with the login's sessions
        tasks.mail_closing_notice.enqueue(me)
        response = render(request, "accounts/closed.html", {
            "done": closed.done, "schedule": closing.schedule(closed.at), "closed_on": closed.at,
        })  # fmt: skip
        response.delete_cookie(remember.COOKIE, samesite="Lax")
        return response
    return render(request, "accounts/close.html", {
        "form": form, "services": closing.running_services(me), "terms": closing.terms(me),
        "schedule": closing.schedule(timezone.now()),
        "erasable": current_policy().makes("ACC-8"),
    })  # fmt: skip


# --- Account recovery (issue 31): by a mailed link, or by a code shown at sign-up ----------


@sensitive_post_parameters("password1", "password2", "code")
@csrf_protect
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
@limits.limited("recover", target="email")
@limits.limited("recover-code", target="username")
def recover(request):
    if recovery.by_mail():
        form = RecoverByMailForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            # The same work and the same page whether or not an account has the address.
            tasks.mail_recovery_links.enqueue(recovery.accounts_at(form.cleaned_data["email"]))
            return render(request, "accounts/recover_sent.html", {
                "days": settings.PASSWORD_RESET_TIMEOUT // 86400,
            })  # fmt: skip
        return render(request, "accounts/recover.html", {"form": form, "by_mail": True})
    form = RecoverByCodeForm(request.POST or None, opens=recovery.with_code)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if recovery.use_code(data["username"], data["code"], data["password1"]):
            messages.success(request, "Your new password is set: log in with it.")
            return redirect("accounts:login")
        form.add_error(None, "That recovery code has just been used. Try another.")
    return render(request, "accounts/recover.html", {"form": form, "by_mail": False})


class RecoverConfirm(auth_views.PasswordResetConfirmView):
    """Django's page behind a mailed link: the token checked, the link's address
    swapped for one without the token, a new password set; a closed account's link
    opens nothing. Then every session of the login ends."""

    template_name = "accounts/recover_set.html"
    success_url = reverse_lazy("accounts:recovered")

    def get_user(self, uidb64):
        user = super().get_user(uidb64)
        if user is None or not user.is_active or not recovery.by_mail():
            return None
        return user

    def form_valid(self, form):
        response = super().form_valid(form)
        recovery.after_new_password(form.user)
        return response


recover_confirm = limits.limited("recover-confirm")(RecoverConfirm.as_view())


@require_safe
def recovered(request):
    messages.success(request, "Your new password is set: log in with it.")
    return redirect("accounts:login")


@sensitive_post_parameters("password")
@customer_required
@csrf_protect
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
@limits.per_login("recovery-codes")
def recovery_codes(request, me: int):
    """The codes, shown once: made on the first visit after sign-up; later, new ones
    only with the password (the old ones then stop working)."""
    if recovery.by_mail():
        raise Http404("Recovery here is by a link mailed to your address.")
    form = PasswordCheckForm(request.POST or None, user=request.user)
    asked = request.method == "POST" and form.is_valid()
    first_time = request.method != "POST" and not recovery.codes_left(request.user)
    codes = recovery.new_codes(request.user) if asked or first_time else []
    return render(request, "accounts/recovery_codes.html", {
        "codes": codes, "form": form, "left": recovery.codes_left(request.user),
    })  # fmt: skip

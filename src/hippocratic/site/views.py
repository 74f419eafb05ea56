"""Public pages. None requires a login or sets a cookie (VIS-1), but the
preferences page, which sets one only when the visitor saves a choice (CK-1)."""

import re

from django import forms
from django.db import DatabaseError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.templatetags.static import static
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_http_methods, require_safe

from hippocratic.accounts.models import Service
from hippocratic.capabilities import enforced
from hippocratic.money import format_money
from hippocratic.policy import words
from hippocratic.policy.loader import load_policy_text
from hippocratic.policy.reasons import explain
from hippocratic.policy.render import to_html
from hippocratic.provider import current_policy, loaded_policy, policy_html
from hippocratic.sales import order_cookie
from hippocratic.site import preferences
from hippocratic.versions import publishing
from hippocratic.versions.models import PolicyVersion
from hippocratic.versions.terms import terms_versions, upcoming_terms, version_of


@require_safe
def home(request):
    """The provider, what it offers and at what price (the catalogue, money in the
    visitor's locale), and its policy."""
    ordered_here = order_cookie.orders_taken()
    offers = [
        {"service": s, "price": format_money(s.monthly_price_cents, s.currency),
         "url": reverse("sales:landing", args=[s.code]) if ordered_here
         else reverse("accounts:sign_up")}
        for s in Service.objects.filter(available=True)
    ]  # fmt: skip
    return render(request, "site/home.html",
                  {"introduction": current_policy().introduction, "offers": offers,
                   "ordered_here": ordered_here})  # fmt: skip


@require_safe
def privacy(request):
    # The renderer escapes every value it writes, so its output is safe HTML.
    html = mark_safe(policy_html())  # noqa: S308
    try:
        in_force, coming = publishing.in_force(), publishing.upcoming()
        if in_force is not None and in_force.sha256 != loaded_policy().version:
            in_force = None  # the page shows another policy (versions off: a test's file)
    except DatabaseError:  # the page is the policy; the version note can wait
        in_force, coming = None, None
    return render(request, "site/privacy.html",
                  {"policy_html": html, "version": in_force, "upcoming": coming})  # fmt: skip


@require_safe
def terms(request):
    """The terms of service in force (issue 31), clause by clause, each at its anchor (the
    privacy page links a ground to its clause); 404 where the provider has none."""
    policy = current_policy()
    if policy.terms is None:
        raise Http404("This provider publishes no terms of service.")
    try:
        version, versions, coming = version_of(policy), terms_versions(), upcoming_terms()
    except DatabaseError:
        version, versions, coming = None, [], None
    context = {"terms": policy.terms, "version": version, "versions": versions,
               "upcoming": coming}  # fmt: skip
    return render(request, "site/terms.html", context)


@require_safe
def terms_version(request, number: int):
    """A published version of the terms, readable for as long as the site runs."""
    found = next((v for v in terms_versions() if v.number == number), None)
    if found is None:
        raise Http404("No such version of the terms.")
    context = {"terms": found.terms, "version": found, "versions": terms_versions(),
               "archived": True}  # fmt: skip
    return render(request, "site/terms.html", context)


# What each kind of change is about, in the order of the policy page's sections.
CHANGE_SECTIONS = (("category", "Information we collect"), ("purpose", "How we use it"),
                   ("retention", "How long we keep it"), ("recipient", "Sharing and disclosure"),
                   ("cookie", "Cookies"), ("choice", "Your choices"), ("opt-out", "Your choices"),
                   ("promise", "Our promises"), ("prohibition", "What we never do"),
                   ("terms", "Terms of Service"))  # fmt: skip
KEY_IN_WORDS = re.compile(r"\b(?:user|system)(?:\.[a-z_]+)+")


def grouped_changes(changes: list[dict]) -> list[dict]:
    """A version's changes by the part of the policy they touch, the sections with a change
    that does more with people's information first, and those changes first in each; a
    category's key (kept in words by older versions) named as the policy names it."""
    policy, groups = current_policy(), {}
    for change in changes:
        rule = change.get("rule", "")
        title = next((t for prefix, t in CHANGE_SECTIONS if rule.startswith(prefix)),
                     "Other changes")  # fmt: skip
        text = KEY_IN_WORDS.sub(lambda m: words.category(policy, m.group(0)).lower(),
                                change.get("words", ""))  # fmt: skip
        groups.setdefault(title, []).append({**change, "words": text})
    order = [t for _, t in CHANGE_SECTIONS] + ["Other changes"]
    found = [
        {
            "title": t,
            "changes": sorted(cs, key=lambda c: not c.get("material")),
            "material": any(c.get("material") for c in cs),
        }
        for t, cs in groups.items()
    ]
    return sorted(found, key=lambda g: (not g["material"], order.index(g["title"])))


@require_safe
def policy_versions(request):
    """Every published version of the policy (POL-4), newest first; each one's changes
    grouped by section, the material ones first."""
    shown = PolicyVersion.objects.order_by("-number").values(
        "number", "revision_date", "published_at", "effective_at", "sha256", "changes",
        "material")[:500]  # fmt: skip
    versions = [{**v, "groups": grouped_changes(v["changes"] or [])} for v in shown]
    now = timezone.now()
    changes = current_policy().changes
    notice = changes.notice if changes else None
    return render(request, "site/versions.html", {"versions": versions, "now": now,
                                                  "notice": notice})  # fmt: skip


@require_safe
def policy_version(request, number: int):
    """One published version, rendered as the page was, from its own text."""
    version = get_object_or_404(PolicyVersion, number=number)
    loaded = load_policy_text(version.text, file=f"version {number}")
    # Its sentences link the terms published with it, not those in force now.
    terms = [t for t in terms_versions() if t.policy_number <= number]
    path = reverse("site:terms_version", args=[terms[-1].number]) if terms else ""
    html = mark_safe(to_html(loaded.policy, enforced=enforced(),  # noqa: S308 (escaped)
                             published=version.revision_date,
                             terms_path=path or reverse("site:terms")))  # fmt: skip
    return render(request, "site/version.html", {"version": version, "policy_html": html})


@require_safe
def policy_version_text(request, number: int):
    """The file itself, byte for byte as it was published."""
    version = get_object_or_404(PolicyVersion, number=number)
    response = HttpResponse(version.text.encode("utf-8"), content_type="text/plain; charset=utf-8")
    response["Content-Disposition"] = f'inline; filename="policy-v{number}.yaml"'
    return response


class PreferencesForm(forms.Form):
    text = forms.ChoiceField(
        label="Text size", choices=[(c, c.title()) for c in preferences.CHOICES["text"]]
    )
    theme = forms.ChoiceField(
        label="Colours", choices=[(c, c.title()) for c in preferences.CHOICES["theme"]]
    )


@require_http_methods(["GET", "HEAD", "POST"])
def preferences_page(request):
    current = preferences.parse(request.COOKIES.get(preferences.COOKIE, ""))
    form = PreferencesForm(request.POST or None, initial=current)
    if request.method == "POST" and form.is_valid():
        response = redirect("site:preferences")
        value = preferences.serialise(form.cleaned_data)
        if value:
            response.set_cookie(
                "preferences", value, max_age=preferences.max_age_seconds(),
                secure=request.is_secure(), httponly=True, samesite="Lax",
            )  # fmt: skip
        else:
            response.delete_cookie("preferences", samesite="Lax")
        return response
    return render(request, "site/preferences.html", {"form": form})


def forbidden(request, exception=None):
    """The 403 page: a refusal by the policy (the gate's AccessDenied) in the policy's
    words, never its rule's keys; any other refusal's own sentence as it is."""
    decision = getattr(exception, "decision", None)
    if decision is not None:
        message = f"Our privacy policy does not allow this. {explain(decision.reason)}"
    else:
        message = str(exception or "")
    return render(request, "403.html", {"exception": message}, status=403)


def rate_limited(request, exception=None):
    """The 429 page (site.limits): what was asked was not done; try again later."""
    response = render(request, "429.html", status=429)
    response["Retry-After"] = "60"
    return response


@require_safe
def favicon(request):
    """/favicon.ico, which browsers and crawlers ask for whatever the page links: the
    site's own icon (a static file), not a 404."""
    return redirect(static("site/favicon.svg"), permanent=True)

"""Public pages. None requires a login or sets a cookie (VIS-1), but the
preferences page, which sets one only when the visitor saves a choice (CK-1)."""

from django import forms
from django.shortcuts import redirect, render
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_http_methods, require_safe

from hippocratic.provider import current_policy, policy_html
from hippocratic.site import preferences


@require_safe
def home(request):
    return render(request, "site/home.html", {"introduction": current_policy().introduction})


@require_safe
def privacy(request):
    # The renderer escapes every value it writes, so its output is safe HTML.
    html = mark_safe(policy_html())  # noqa: S308
    return render(request, "site/privacy.html", {"policy_html": html})


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

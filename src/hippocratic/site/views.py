"""Public pages. None requires a login or sets a cookie (VIS-1)."""

from django.shortcuts import render
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_safe

from hippocratic.provider import current_policy, policy_html


@require_safe
def home(request):
    return render(request, "site/home.html", {"introduction": current_policy().introduction})


@require_safe
def privacy(request):
    # The renderer escapes every value it writes, so its output is safe HTML.
    html = mark_safe(policy_html())  # noqa: S308
    return render(request, "site/privacy.html", {"policy_html": html})

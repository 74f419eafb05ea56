"""The public transparency page: this year's and last year's report, from the chain."""

from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_safe

from hippocratic.disclosure import transparency


@require_safe
def transparency_page(request):
    year = timezone.localdate().year
    try:
        reports = [transparency.report(y) for y in (year, year - 1)]
    except transparency.ChainBroken:
        return render(request, "disclosure/transparency.html", {"broken": True}, status=503)
    return render(request, "disclosure/transparency.html", {
        "reports": [{"year": r.year, "lines": transparency.lines(r)[1:]} for r in reports],
    })  # fmt: skip

"""The public transparency page: this year's and last year's report, from the chain."""

from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_safe

from hippocratic import spreadsheet
from hippocratic.disclosure import figures, transparency
from hippocratic.enforcement import audit, proofs
from hippocratic.enforcement.models import AuditCheckpoint

HEADS_SHOWN = 200


@require_safe
def transparency_page(request, fmt: str = ""):
    """The transparency report as a page (tables, a chart of requests by month), or its
    figures as CSV or JSON (fmt). The counts are transparency.report()'s, which verifies
    the audit log first."""
    year = timezone.localdate().year
    try:
        reports = [transparency.report(y) for y in (year, year - 1)]
    except transparency.ChainBroken:
        # A program asking for the figures gets an answer it can read, not a page.
        if fmt == "json":
            return JsonResponse({"error": "the audit log does not verify: no figures "
                                 "until it does"}, status=503)  # fmt: skip
        if fmt == "csv":
            return HttpResponse("the audit log does not verify: no figures until it does\n",
                                content_type="text/plain; charset=utf-8", status=503)  # fmt: skip
        return render(request, "disclosure/transparency.html", {"broken": True}, status=503)
    months = figures.received_by_month(year)
    data = figures.as_data(reports, months)
    if fmt == "json":
        return JsonResponse(data)
    if fmt == "csv":
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="transparency-{year}.csv"'
        out = spreadsheet.writer(response)
        out.writerow(["Period", "Kind of request", "Received", *data["decisions"],
                      "Accounts affected"])  # fmt: skip
        for r in data["years"]:
            for row in r["rows"]:
                counts = [d["count"] for d in row["decisions"]]
                out.writerow([row["period"], row["kind"], row["received"], *counts,
                              row["accounts"]])  # fmt: skip
        return response
    return render(request, "disclosure/transparency.html", {
        "reports": [{"year": r.year, "entries": r.entries, "rows": figures.rows(r)}
                    for r in reports],
        "decisions": data["decisions"], "year": year,
        "chart": figures.chart(months), "months": months,
    })  # fmt: skip


@require_safe
def transparency_figures(request, fmt: str):
    """/transparency/figures.csv and .json: the page's figures, to download."""
    if fmt not in ("csv", "json"):
        raise Http404("The figures are in CSV or JSON.")
    return transparency_page(request, fmt)


@require_safe
def transparency_log(request):
    """The audit log's signed tree heads, newest first, for anyone to keep (RFC 6962's
    get-sth); with ?first=&second=, the consistency proof between two sizes."""
    first, second = request.GET.get("first"), request.GET.get("second")
    if first is not None or second is not None:
        try:
            first, second = int(first or ""), int(second or "")
            newest = proofs.newest_head()
            if newest is None or not 0 < first <= second <= newest.seq:
                raise ValueError
        except ValueError:
            return JsonResponse({"error": "first and second: sizes of signed heads, "
                                 "0 < first <= second"}, status=400)  # fmt: skip
        try:
            path = proofs.consistency(first, second)
        except proofs.Damaged:
            return JsonResponse({"error": "the audit log's tree is damaged"}, status=409)
        return JsonResponse({"first": first, "second": second, "consistency": path})
    heads = AuditCheckpoint.objects.filter(format=audit.TREE_HEAD).order_by("-at")
    try:
        key = proofs.public_key_b64()
    except LookupError:
        key = None
    return JsonResponse({
        "public_key": key,
        "heads": [audit.checkpoint_data(h) for h in heads[:HEADS_SHOWN]],
    })  # fmt: skip

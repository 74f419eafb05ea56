"""The staff traffic dashboard, its exports, and the disclosure of aggregates."""

import datetime as dt
import json

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from hippocratic import spreadsheet
from hippocratic.enforcement.actors import Actor, staff_role
from hippocratic.provider import current_engine, current_policy
from hippocratic.tracking import selectors, services
from hippocratic.tracking.models import Dimension

MAX_DAYS = 3660


class RangeForm(forms.Form):
    start = forms.DateField(required=False)
    end = forms.DateField(required=False)

    def clean(self):
        data = super().clean()
        today = timezone.localdate()
        end = data.get("end") or today
        start = data.get("start") or end - dt.timedelta(days=29)
        if start > end:
            raise forms.ValidationError("The start date is after the end date.")
        if (end - start).days > MAX_DAYS:
            raise forms.ValidationError(f"Ask for at most {MAX_DAYS} days at a time.")
        data["start"], data["end"] = start, end
        return data


def _analyst(request) -> Actor:
    """The staff member, if their role may read visitor data for its purpose (VIS-5)."""
    if not request.user.is_staff:
        raise PermissionDenied("Traffic reports are for staff.")
    role = staff_role(request.user)
    decision = current_engine().decide(role, services.purpose_of("path"), (), "visitor")
    if not decision.allowed:
        raise PermissionDenied(f"Your role ({role}) may not read traffic: {decision.reason.value}")
    return Actor.for_user(request.user, role)


def _range(request) -> tuple[RangeForm, dt.date, dt.date]:
    form = RangeForm(request.GET or None)
    if form.is_bound and form.is_valid():
        return form, form.cleaned_data["start"], form.cleaned_data["end"]
    end = timezone.localdate()
    return form, end - dt.timedelta(days=29), end


def _chart(series, width=720, height=220):
    """A line chart drawn on the server (SVG coordinates; no script, no chart library):
    views and visitors per day, a y-axis with whole-number ticks, an x-axis labelled
    with dates (at most six, first and last day included)."""
    left, right, top, bottom = 44, 12, 8, 30
    plot_w, plot_h = width - left - right, height - top - bottom
    peak = max([v for _, v, _ in series] + [u or 0 for _, _, u in series] + [1])
    step = max(1, -(-peak // 4))  # four ticks or fewer, whole numbers
    scale_top = step * -(-peak // step)
    gap = plot_w / max(len(series) - 1, 1)

    def x(i):
        return round(left + i * gap, 1)

    def y(value):
        return round(top + plot_h - (value or 0) / scale_top * plot_h, 1)

    def points(index):
        return " ".join(f"{x(i)},{y(row[index])}" for i, row in enumerate(series))

    # Six dates or fewer, evenly spaced from the first day to the last.
    count = min(6, len(series))
    labelled = sorted({round(i * (len(series) - 1) / max(count - 1, 1)) for i in range(count)})
    return {
        "width": width, "height": height, "peak": peak, "left": left, "right": width - right,
        "top": top, "base": top + plot_h, "label_y": height - 8,
        "ticks": [{"value": v, "y": y(v)} for v in range(0, scale_top + 1, step)],
        "days": [{"x": x(i), "day": series[i][0],
                  "anchor": "start" if i == 0 else "end" if i == len(series) - 1 else "middle"}
                 for i in labelled],
        "views": points(1), "visitors": points(2),
    }  # fmt: skip


@login_required
@require_GET
def dashboard(request):
    _analyst(request)
    form, start, end = _range(request)
    policy = current_policy()
    report = selectors.traffic_report(policy, start, end)
    tops = [(Dimension(d).label, rows) for d, rows in report.tops.items()]
    return render(request, "tracking/dashboard.html", {
        "form": form, "report": report, "tops": tops, "chart": _chart(report.series),
        "recipients": services.aggregate_recipients(),
    })  # fmt: skip


@login_required
@require_GET
def export(request, fmt):
    _analyst(request)
    _form, start, end = _range(request)
    dims = [Dimension.TOTAL, Dimension.BOTS, *selectors.dimensions_of(current_policy())]
    rows = selectors.daily_rows(start, end, dims)
    return _download(rows, fmt, f"traffic-{start}-{end}")


@login_required
@require_http_methods(["POST"])
def disclose(request):
    """Export aggregates for a third party the policy names (VIS-7); audited."""
    actor = _analyst(request)
    form = RangeForm(request.POST)
    if not form.is_valid():
        return HttpResponse("; ".join(form.non_field_errors()) or "Bad dates.", status=400)
    start, end = form.cleaned_data["start"], form.cleaned_data["end"]
    try:
        recipient, k, rows = services.aggregates_disclose(
            actor=actor, recipient_key=request.POST.get("recipient", ""), start=start, end=end
        )
    except LookupError as error:
        return HttpResponse(str(error), status=400)
    return _download(rows, "csv", f"aggregates-{recipient.key}-k{k}-{start}-{end}")


def _download(rows, fmt, stem):
    header = ("day", "dimension", "value", "views", "visitors")
    if fmt == "json":
        body = [dict(zip(header, (str(r[0]), *r[1:]), strict=True)) for r in rows]
        response = HttpResponse(json.dumps(body, indent=1), content_type="application/json")
    else:
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        writer = spreadsheet.writer(response)
        writer.writerow(header)
        writer.writerows(rows)
    response["Content-Disposition"] = f'attachment; filename="{stem}.{fmt}"'
    return response

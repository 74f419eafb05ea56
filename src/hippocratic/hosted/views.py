"""The customer's records in our online applications (COM-5): theirs alone to see."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from hippocratic.accounts.decorators import customer_required
from hippocratic.hosted import integrations, records
from hippocratic.hosted.forms import RecordForm
from hippocratic.hosted.models import HostedRecord


def _offered():
    if not records.offered():
        raise Http404("This provider hosts no business records.")


@customer_required
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def my_records(request, me: int):
    _offered()
    form = RecordForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            records.add(me, **form.cleaned_data)
        except ValidationError as refused:
            form.add_error(None, "; ".join(refused.messages))
        else:
            messages.success(request, "Record added.")
            return redirect("hosted:records")
    rows = records.mine(me).order_by("-updated_at").values(*records.FIELDS)[:500]
    on = integrations.in_use(me)
    partners = [{"key": p.key, "name": p.name, "description": p.description, "on": p.key in on}
                for p in integrations.partners()]  # fmt: skip
    return render(request, "hosted/records.html",
                  {"form": form, "records": rows, "partners": partners})  # fmt: skip


@customer_required
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def my_record(request, me: int, record_id: int):
    _offered()
    try:
        row = records.mine(me).filter(pk=record_id).values(*records.FIELDS).get()
    except HostedRecord.DoesNotExist:
        raise Http404("No such record.") from None
    form = RecordForm(request.POST or None, initial=row)
    if request.method == "POST" and form.is_valid():
        try:
            records.change(me, record_id, **form.cleaned_data)
        except ValidationError as refused:
            form.add_error(None, "; ".join(refused.messages))
        else:
            messages.success(request, "Record saved.")
            return redirect("hosted:records")
    return render(request, "hosted/record.html", {"form": form, "record": row})


@customer_required
@require_POST
def delete_record(request, me: int, record_id: int):
    _offered()
    if records.remove(me, record_id):
        messages.success(request, "Record deleted.")
    return redirect("hosted:records")


@customer_required
@require_POST
def integration(request, me: int, recipient: str):
    """Turn an integrated service on or off (DIS-5)."""
    _offered()
    try:
        if request.POST.get("on") == "1":
            integrations.start(me, recipient)
            messages.success(request, "Integrated: that partner may now exchange your data.")
        else:
            integrations.stop(me, recipient)
            messages.success(request, "Disconnected: that partner receives nothing more.")
    except ValidationError:
        raise Http404("No such integrated service.") from None
    return redirect("hosted:records")

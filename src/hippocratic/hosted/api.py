"""The customer's hosted records in the JSON API (COM-5): the same services as the
pages, behind the same session login and CSRF check."""

import datetime as dt

from django.core.exceptions import ValidationError
from ninja import Field, Router, Schema, Status
from ninja.errors import HttpError
from pydantic import model_validator

from hippocratic.accounts.api import ERRORS, CustomerAuth
from hippocratic.hosted import records
from hippocratic.hosted.models import HostedRecord

router = Router(auth=CustomerAuth(), tags=["your hosted records"])


class RecordIn(Schema):
    kind: str = Field("note", max_length=10)
    title: str = Field(max_length=200)
    body: str = Field("", max_length=10_000)

    @model_validator(mode="before")
    @classmethod
    def _an_object(cls, data):
        """A JSON object, nothing else: ninja's Schema reads attributes, so the bare
        string "x" was a record titled "X" (str.title)."""
        if isinstance(getattr(data, "_obj", data), (str, bytes, int, float, list)):
            raise ValueError("a record is a JSON object with a title")
        return data


class RecordOut(Schema):
    id: int
    kind: str
    title: str
    body: str
    created_at: dt.datetime
    updated_at: dt.datetime


def _offered():
    if not records.offered():
        raise HttpError(404, "this provider hosts no business records")


def _out(row) -> RecordOut:
    return RecordOut(id=row["pk"], **{k: row[k] for k in records.FIELDS if k != "pk"})


@router.get("/records", response={200: list[RecordOut], **ERRORS}, summary="Your records")
def list_records(request):
    _offered()
    rows = records.mine(request.auth).order_by("-updated_at").values(*records.FIELDS)[:500]
    return [_out(r) for r in rows]


@router.post("/records", response={201: RecordOut, **ERRORS}, summary="Add a record")
def add_record(request, payload: RecordIn):
    _offered()
    try:
        pk = records.add(request.auth, **payload.dict())
    except ValidationError as refused:
        raise HttpError(422, "; ".join(refused.messages)) from None
    return Status(201, _out(records.mine(request.auth).filter(pk=pk).values(*records.FIELDS).get()))


@router.get("/records/{record_id}", response={200: RecordOut, **ERRORS}, summary="One record")
def get_record(request, record_id: int):
    _offered()
    try:
        return _out(records.mine(request.auth).filter(pk=record_id).values(*records.FIELDS).get())
    except HostedRecord.DoesNotExist:
        raise HttpError(404, "no such record") from None


@router.put("/records/{record_id}", response={200: RecordOut, **ERRORS}, summary="Change one")
def change_record(request, record_id: int, payload: RecordIn):
    _offered()
    try:
        changed = records.change(request.auth, record_id, **payload.dict())
    except ValidationError as refused:
        raise HttpError(422, "; ".join(refused.messages)) from None
    if not changed:
        raise HttpError(404, "no such record")
    return get_record(request, record_id)


@router.delete("/records/{record_id}", response={204: None, **ERRORS}, summary="Delete one")
def delete_record(request, record_id: int):
    _offered()
    if not records.remove(request.auth, record_id):
        raise HttpError(404, "no such record")
    return Status(204, None)

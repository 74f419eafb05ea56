"""Text sealed at rest (enforcement.sealing): what a request to support keeps opens with
any key of the ring, never in another field, and rows written before sealing are
sealed by their migration."""

import base64
import importlib
import os

import pytest
from django.apps import apps
from django.db import connection
from factories import SYSTEM

from hippocratic.enforcement import sealing
from hippocratic.enforcement.gateway import decided_elsewhere
from hippocratic.requests import ledger
from hippocratic.requests.models import Request

pytestmark = pytest.mark.django_db


def a_key() -> str:
    return base64.urlsafe_b64encode(os.urandom(32)).decode()


def test_sealed_text_opens_only_where_it_was_bound():
    sealed = sealing.seal_text("my router is down", "requests.request.text")
    assert sealed.startswith(sealing.PREFIX) and "router" not in sealed
    assert sealing.open_text(sealed, "requests.request.text") == "my router is down"
    with pytest.raises(sealing.Unreadable):
        sealing.open_text(sealed, "requests.request.answer")
    assert sealing.seal_text("", "requests.request.text") == ""  # retention's blank stays


def test_a_key_rotated_out_still_opens_what_it_sealed(settings):
    old, new = a_key(), a_key()
    settings.HIPPOCRATIC_MAILBOX_KEY = old
    sealed = sealing.seal_text("asked before the rotation", "requests.request.text")
    settings.HIPPOCRATIC_MAILBOX_KEY = f"{new},{old}"
    assert sealing.open_text(sealed, "requests.request.text") == "asked before the rotation"
    settings.HIPPOCRATIC_MAILBOX_KEY = new  # the old key dropped from the ring
    with pytest.raises(sealing.Unreadable):
        sealing.open_text(sealed, "requests.request.text")


def test_a_value_that_does_not_open_reads_as_a_notice_not_the_ciphertext():
    rows = Request.objects.for_purpose(SYSTEM, ledger.purpose())
    request = ledger.open_request(kind="support", channel="email", by=SYSTEM, text="hello")
    # The answer's column given the text's ciphertext: bound to another field, it fails.
    with decided_elsewhere(), connection.cursor() as cursor:
        cursor.execute("UPDATE requests_request SET answer = text WHERE id = %s", [request.pk])
    assert rows.get(pk=request.pk).answer == sealing.DOES_NOT_OPEN
    assert rows.get(pk=request.pk).text == "hello"


def test_the_migration_seals_text_written_before_sealing():
    request = ledger.open_request(kind="support", channel="email", by=SYSTEM, text="x")
    with decided_elsewhere(), connection.cursor() as cursor:
        cursor.execute("UPDATE requests_request SET text = %s, answer = %s WHERE id = %s",
                       ["plain question", "plain answer", request.pk])  # fmt: skip
    rows = Request.objects.for_purpose(SYSTEM, ledger.purpose())
    assert rows.get(pk=request.pk).text == "plain question"  # read as it is, meanwhile
    migration = importlib.import_module("hippocratic.requests.migrations.0004_request_sealed_text")
    with decided_elsewhere():  # as `migrate` runs it
        migration.seal_kept_text(apps, None)
    with decided_elsewhere(), connection.cursor() as cursor:
        cursor.execute("SELECT text, answer FROM requests_request WHERE id = %s", [request.pk])
        text, answer = cursor.fetchone()
    assert text.startswith(sealing.PREFIX) and answer.startswith(sealing.PREFIX)
    kept = rows.get(pk=request.pk)
    assert (kept.text, kept.answer) == ("plain question", "plain answer")

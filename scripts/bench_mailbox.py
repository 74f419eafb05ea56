"""`make bench`, mailboxes (COM-1): a mailbox of 100,000 messages, listing a page of 50
and opening one through the gateway with decryption (and its two audit entries),
against the plain ORM reading the same rows unencrypted from a plain table, with no audit
(target: at most 2.0x the time, issue 28: every read audited, the audit next to free);
and intake of 10,000 messages (inbound.receive, the LMTP server's own path) sealing
each with the customer's key, against the same intake storing them in clear (target:
at most 1.3x).

BENCH_MAILBOX_MESSAGES and BENCH_MAILBOX_INTAKE make a quicker run."""

import json
import os
import time

MESSAGES = int(os.environ.get("BENCH_MAILBOX_MESSAGES", "100000"))
INTAKE = int(os.environ.get("BENCH_MAILBOX_INTAKE", "10000"))
OPENINGS = 200


def _letter(n: int, to: str) -> bytes:
    return (
        f"From: Sender {n} <s{n}@friend.example>\r\nTo: {to}\r\nSubject: Message {n}\r\n"
        f"Message-ID: <bench-{n}@friend.example>\r\nDate: Fri, 27 Nov 2026 10:00:00 +0000\r\n"
        f"\r\n{'Some text of a message. ' * 40}\r\n"
    ).encode()


def _customer(username: str) -> int:
    from django.contrib.auth.models import User

    from hippocratic.accounts.models import Customer
    from hippocratic.enforcement.actors import Actor

    user = User.objects.create_user(username)
    rows = Customer.objects.for_purpose(Actor.system("bench"), "essential.service")
    return rows.create(name=username.capitalize(), user=user).pk


def _plain_model():
    """A plain table of the same rows, unencrypted: the baseline's."""
    from django.db import connection, models

    class PlainMessage(models.Model):  # noqa: DJ008 (a table for a measurement)
        customer_id = models.BigIntegerField()
        created_at = models.DateTimeField()
        status = models.CharField(max_length=12)
        size = models.PositiveIntegerField()
        delivered_at = models.DateTimeField(null=True)
        summary = models.TextField()
        content = models.BinaryField()

        class Meta:
            app_label = "communications"
            db_table = "bench_plain_message"
            indexes = [models.Index(fields=["customer_id", "-id"], name="bench_plain")]

    with connection.schema_editor() as editor:
        editor.create_model(PlainMessage)
    return PlainMessage


def mailbox_page_against_plain_orm(vendor: str) -> dict:
    from django.utils import timezone

    from hippocratic.communications import crypto, mailbox
    from hippocratic.communications.models import StoredMessage
    from hippocratic.enforcement import audit
    from hippocratic.enforcement.actors import Actor
    from hippocratic.purposes import Purpose

    me = _customer("ada")
    plain = _plain_model()
    aead = mailbox._cipher(me, create=True)
    now = timezone.now()
    ours, theirs = [], []
    for n in range(MESSAGES):
        raw = _letter(n, "ada@mail.isp.example")
        summary = json.dumps({"from": f"Sender {n} <s{n}@friend.example>",
                              "subject": f"Message {n}", "date": ""}).encode()  # fmt: skip
        ours.append((me, now, "new", len(raw), None, f"{n:064x}",
                     crypto.seal(aead, me, "summary", summary),
                     crypto.seal(aead, me, "content", raw)))  # fmt: skip
        theirs.append(plain(customer_id=me, created_at=now, status="new", size=len(raw),
                            summary=summary.decode(), content=raw))  # fmt: skip
    columns = ["customer_id", "created_at", "status", "size", "delivered_at", "lookup",
               "summary", "content"]  # fmt: skip
    intake = StoredMessage.objects.for_purpose(mailbox.INTAKE, Purpose.SERVICE)
    for start in range(0, MESSAGES, 5000):
        intake.insert_rows(columns, ours[start : start + 5000])
    plain.objects.bulk_create(theirs, batch_size=5000)
    del ours, theirs

    def gateway():
        for _ in range(OPENINGS):
            with audit.one_commit():  # as a web request runs (AuditMiddleware)
                page = mailbox.page(me, limit=50)
                rows = StoredMessage.objects.for_purpose(Actor.for_customer(me), Purpose.SERVICE)
                if not mailbox.open_message(rows, page[25].id, me).raw:
                    raise SystemExit("a message did not open")

    def plain_orm():
        for _ in range(OPENINGS):
            page = list(plain.objects.filter(customer_id=me).order_by("-pk").values(
                "pk", "created_at", "status", "size", "delivered_at", "summary")[:50])  # fmt: skip
            for row in page:
                json.loads(row["summary"])
            opened = plain.objects.filter(pk=page[25]["pk"]).values_list("content", flat=True)
            if not opened.get():
                raise SystemExit("a message did not open")

    t_ours, t_plain = _best(gateway), _best(plain_orm)
    ratio = t_ours / t_plain
    return {
        "name": f"mailbox of {MESSAGES:,}: a page of 50 and one message opened ({vendor}; "
                "per opening)",
        "ours": t_ours / OPENINGS * 1000, "baseline": t_plain / OPENINGS * 1000, "unit": "ms",
        "baseline_name": "plain ORM, unencrypted rows, no audit", "ratio": ratio,
        "target": "<= 2.0x", "met": ratio <= 2.0,
    }  # fmt: skip


def intake_sealed_against_clear(vendor: str) -> dict:
    from functools import partial

    from hippocratic.communications import intake, mailbox
    from hippocratic.messaging import inbound

    sealed, clear = _customer("bea"), _customer("cy")
    store = mailbox.store

    def receive(username: str, offset: int, encrypt: bool) -> float:
        address = f"{username}@mail.isp.example"
        letters = [_letter(offset + n, address) for n in range(INTAKE)]
        intake.mailbox.store = partial(store, encrypt=encrypt)
        try:
            start = time.perf_counter()
            for raw in letters:
                inbound.receive(raw, [address])
            return time.perf_counter() - start
        finally:
            intake.mailbox.store = store

    t_clear = receive("cy", 10_000_000, encrypt=False)
    t_sealed = receive("bea", 20_000_000, encrypt=True)
    if len(mailbox.page(sealed, limit=1)) != 1 or not clear:
        raise SystemExit("the sealed intake stored nothing")
    ratio = t_sealed / t_clear
    return {
        "name": f"mailbox intake of {INTAKE:,} messages, sealed ({vendor}; msgs/s)",
        "ours": INTAKE / t_sealed, "baseline": INTAKE / t_clear, "unit": "",
        "baseline_name": "the same intake storing messages in clear",
        "ratio": ratio, "target": "<= 1.3x", "met": ratio <= 1.3,
    }  # fmt: skip


def _best(fn, runs: int = 3) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def measure(vendor: str) -> list[dict]:
    from django.test import override_settings
    from tests_paths import POLICIES

    with override_settings(HIPPOCRATIC_POLICY=str(POLICIES / "isp.yaml")):
        return [mailbox_page_against_plain_orm(vendor), intake_sealed_against_clear(vendor)]

"""The LMTP server the MTA delivers to (MSG-3): it answers once a message is stored and
asks the worker to act on it; it stores each message once, the pipe too; and it loses
nothing while the database is locked or refuses connections."""

import smtplib

import pytest
from factories import ADA, SYSTEM, eml, queued_mail
from polling import wait_until
from tests_paths import use_profile

from hippocratic.messaging import inbound, services
from hippocratic.requests import ledger
from hippocratic.requests.models import Request

pytestmark = pytest.mark.django_db


@pytest.mark.promise("MSG-3")
@pytest.mark.django_db(transaction=True)  # the LMTP server writes from its own thread
def test_the_lmtp_server_asks_the_worker_to_act_on_what_it_queued(signed_up, settings, lmtp_server):

    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    with use_profile("ducallier"):
        client, me = signed_up()
        client.post("/mail/list/", {"join": "1"})
        with smtplib.LMTP(lmtp_server.host, lmtp_server.port) as lmtp:
            lmtp.sendmail(ADA["email"], ["unsubscribe@ducallier.com"],
                          eml("Remove from mailing list", proven=True))  # fmt: skip
        # Answered 250 once queued; then the server's timer, then the task, acts on it.
        wait_until(lambda: queued_mail() == 0)
        assert not services.is_member(me)  # acted on, while the server runs


@pytest.mark.promise("MSG-3")
@pytest.mark.django_db(transaction=True)  # the LMTP server writes from its own thread
def test_the_pipe_and_the_lmtp_server_store_each_message_once(signed_up, capsys, lmtp_server):
    import io
    import sys

    from django.core.management import call_command

    with use_profile("ducallier"):
        signed_up()
        old = sys.stdin
        sys.stdin = io.TextIOWrapper(io.BytesIO(eml("remove from mailing list", proven=True)))
        try:
            call_command("mail", "receive")
        finally:
            sys.stdin = old
        assert "stored: unsubscribe (done)" in capsys.readouterr().out
        with smtplib.LMTP(lmtp_server.host, lmtp_server.port) as lmtp:
            for n in range(3):
                message = eml("Remove from mailing list", f"p{n}@x.example",
                              message_id=f"<m{n}@x>")  # fmt: skip
                lmtp.sendmail(f"p{n}@x.example", ["unsubscribe@ducallier.com"], message)
            lmtp.sendmail(
                "p0@x.example",
                ["unsubscribe@ducallier.com"],
                eml("Remove from mailing list", "p0@x.example", message_id="<m0@x>"),
            )
            code, _ = lmtp.docmd("NOOP")
            assert code == 250
            try:
                lmtp.sendmail("a@x.example", ["unsubscribe@ducallier.com"], b"\x00\x00")
            except smtplib.SMTPDataError as refused:
                assert refused.smtp_code == 550
        lmtp_server.stop()  # the queue is announced, if the server's timer has not yet
        kept = Request.objects.for_purpose(SYSTEM, ledger.purpose())
        assert kept.count() == 1  # the pipe's; the LMTP server's wait for the worker
        assert queued_mail() == 3  # one sent twice is queued once
        call_command("worker", "--batch", "--no-scheduler")  # the task the server enqueued
        assert kept.count() == 4 and queued_mail() == 0


@pytest.mark.promise("MSG-3")
@pytest.mark.django_db(transaction=True)
def test_lmtp_loses_nothing_while_the_database_is_locked_for_a_while(lmtp_server):
    """1,000 messages over LMTP; for part of the run another process holds the SQLite
    database's write lock, so stores fail and the server answers 451. The "MTA" (this
    test) tries those again later, as Postfix does; every message is stored once."""
    import sqlite3
    import threading

    from django.db import connection, connections

    if connection.vendor != "sqlite":
        pytest.skip("the lock is taken with SQLite's own BEGIN EXCLUSIVE")
    options = connections.settings["default"]["OPTIONS"]
    waited = options.get("timeout")
    # The server's connections give up after a second, not 20 (its first is made with
    # its first message).
    options["timeout"] = 1
    with use_profile("ducallier"):
        locked, release = threading.Event(), threading.Event()

        def hold_the_lock():
            other = sqlite3.connect(connection.settings_dict["NAME"], timeout=30)
            other.execute("BEGIN EXCLUSIVE")
            locked.set()
            release.wait(30)
            other.rollback()
            other.close()

        holder = threading.Thread(target=hold_the_lock, daemon=True)
        deferred, answers = [], []
        try:
            with smtplib.LMTP(lmtp_server.host, lmtp_server.port) as lmtp:
                for n in range(1000):
                    if n == 400:
                        holder.start()
                        locked.wait(10)
                        threading.Timer(4, release.set).start()
                    _unsubscribe_by_mail(lmtp, n, "lmtp", answers, deferred)
                release.set()
                wait_until(lambda: not holder.is_alive())  # the lock is given back
                for n, message in deferred:  # the MTA's retry
                    lmtp.sendmail(f"p{n}@x.example", ["unsubscribe@ducallier.com"], message)
        finally:
            release.set()
            lmtp_server.stop()
            options["timeout"] = waited
        assert 451 in answers and set(answers) <= {250, 451}
        assert queued_mail() == 1000
        assert inbound.act_on_queued() == {"done": 1000, "failed": 0}
        kept = Request.objects.for_purpose(SYSTEM, ledger.purpose())
        assert kept.count() == 1000
        assert len(set(kept.values_list("message_key", flat=True))) == 1000


@pytest.mark.promise("MSG-3")
@pytest.mark.django_db(transaction=True)
def test_lmtp_loses_nothing_while_postgresql_refuses_every_connection(lmtp_server):
    """1,000 messages over LMTP; for part of the run the PostgreSQL database takes no
    connections and the server's own is cut (as when the database stops), so the server
    answers 451; the "MTA" tries those again once it is back; every message is stored
    once."""

    import psycopg
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("stops the database's connections with PostgreSQL's ALLOW_CONNECTIONS")
    name = connection.settings_dict["NAME"]
    admin_dsn = {k: v for k, v in {
        "host": connection.settings_dict["HOST"], "port": connection.settings_dict["PORT"],
        "user": connection.settings_dict["USER"], "dbname": "postgres",
    }.items() if v}  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        mine = cursor.fetchone()[0]

    def database(up: bool) -> None:
        with psycopg.connect(**admin_dsn, autocommit=True) as admin:
            admin.execute(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS {str(up).lower()}')
            if not up:  # and cut those it has, but this test's own
                admin.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = %s AND pid <> %s", [name, mine],
                )  # fmt: skip

    def answers_again() -> bool:
        try:
            with psycopg.connect(**{**admin_dsn, "dbname": name}):
                return True
        except psycopg.OperationalError:
            return False

    with use_profile("ducallier"):
        deferred, answers = [], []
        try:
            with smtplib.LMTP(lmtp_server.host, lmtp_server.port) as lmtp:
                for n in range(1000):
                    if n == 400:
                        database(up=False)
                    if n == 600:
                        database(up=True)
                    _unsubscribe_by_mail(lmtp, n, "pg", answers, deferred)
                wait_until(answers_again)  # the database takes connections again
                for n, message in deferred:  # the MTA's retry
                    lmtp.sendmail(f"p{n}@x.example", ["unsubscribe@ducallier.com"], message)
        finally:
            database(up=True)
            lmtp_server.stop()
        assert answers.count(451) >= 150 and set(answers) <= {250, 451}
        assert queued_mail() == 1000
        assert inbound.act_on_queued() == {"done": 1000, "failed": 0}
        kept = Request.objects.for_purpose(SYSTEM, ledger.purpose())
        assert kept.count() == 1000
        assert len(set(kept.values_list("message_key", flat=True))) == 1000


def _unsubscribe_by_mail(lmtp, n: int, tag: str, answers: list, deferred: list) -> None:
    """Person n mails the unsubscribe address; the server's answer code is kept, and a
    refused message is kept for the MTA's retry."""
    message = eml("remove from mailing list", f"p{n}@x.example", message_id=f"<{tag}-{n}@x>")
    try:
        lmtp.sendmail(f"p{n}@x.example", ["unsubscribe@ducallier.com"], message)
        answers.append(250)
    except smtplib.SMTPDataError as error:
        answers.append(error.smtp_code)
        deferred.append((n, message))

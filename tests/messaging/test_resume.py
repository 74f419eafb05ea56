"""A campaign whose worker died resumes (issue 30, item 2): the dead worker's running
task is reclaimed and queued again, the deliveries it left "sending" are settled from
its journal (sent, refused, never started, or unknown: never sent twice), and staff see
a stalled campaign and resume it."""

import datetime as dt

import pytest
from django.core import mail
from django.tasks import TaskResultStatus
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from factories import list_members
from tests_paths import use_profile

from hippocratic.jobs import workers
from hippocratic.jobs.models import WorkerHeartbeat
from hippocratic.messaging import campaigns, journal, sending
from hippocratic.messaging.models import Campaign, Delivery
from hippocratic.messaging.tasks import forget_unconfirmed_joins, send_campaign
from hippocratic.purposes import Purpose

pytestmark = pytest.mark.django_db


def deliveries():
    return Delivery.objects.for_purpose(campaigns.SENDER, Purpose.MARKETING_EMAIL).order_by("pk")


def left_sending(campaign, worker_id, pks):
    """Deliveries `pks` marked "sending" by `worker_id`, Message-IDs <n@x> recorded."""
    deliveries().update_rows(
        ["status", "message_id", "worker"],
        [(pk, Delivery.Status.SENDING, f"<{pk}@x>", worker_id) for pk in pks],
    )


def test_a_dead_workers_chunk_is_settled_from_its_journal():
    with use_profile("ducallier"):
        list_members(9)
        campaign = Campaign.objects.create(kind="newsletter", subject="News", body="Hello.")
        sending.start(campaign)
        pks = list(deliveries().values_list("pk", flat=True))
        left_sending(campaign, "dead-1", pks[:5])
        chunk = journal.Chunk("dead-1", campaign.pk, "", pks[0])
        for mark, pk in [("S", 0), ("A", 0), ("S", 1), ("T", 1), ("S", 2), ("P", 2), ("S", 3)]:
            chunk.note(mark, f"<{pks[pk]}@x>")  # pks[4]: never started
        # Another worker's journal from before the machine restarted: only its answers
        # can be trusted, not the absence of a start.
        left_sending(campaign, "dead-2", pks[5:7])
        other = journal.Chunk("dead-2", campaign.pk, "", pks[5])
        other.note("S", f"<{pks[5]}@x>")
        other.note("A", f"<{pks[5]}@x>")
        text = other.path.read_text().splitlines()
        other.path.write_text("\n".join(["host elsewhere boot 0", *text[1:]]) + "\n")
        left_sending(campaign, "alive-1", pks[7:])  # a live worker's: left alone
        counts = sending.reconcile(campaign, alive={"alive-1"})
        states = dict(deliveries().values_list("pk", "status"))
        assert [states[pk] for pk in pks] == [
            "sent", "queued", "failed", "unknown", "queued", "sent", "unknown", "sending",
            "sending",
        ]  # fmt: skip
        assert counts == {"sent": 2, "queued": 2, "failed": 1, "unknown": 2}
        assert not chunk.path.exists() and not other.path.exists()
        report = sending.report(campaign)
        assert (report["unknown"], report["sending"], report["sent"]) == (2, 2, 2)


def test_a_task_of_a_dead_worker_is_reclaimed_and_a_campaign_queued_again():
    long_ago = timezone.now() - dt.timedelta(hours=1)
    resumable = DBTaskResult.objects.get(pk=send_campaign.enqueue(7).id)
    other = DBTaskResult.objects.get(pk=forget_unconfirmed_joins.enqueue().id)
    live = DBTaskResult.objects.get(pk=send_campaign.enqueue(8).id)
    now = timezone.now()
    WorkerHeartbeat.objects.create(worker="alive", started_at=long_ago, seen_at=now)
    WorkerHeartbeat.objects.create(worker="gone", started_at=long_ago, seen_at=long_ago)
    for task, owner in ((resumable, "gone"), (other, "gone"), (live, "alive")):
        DBTaskResult.objects.filter(pk=task.pk).update(
            status=TaskResultStatus.RUNNING, worker_ids=[owner], started_at=long_ago
        )
    assert sorted(workers.reclaim()) == sorted([str(resumable.pk), str(other.pk)])
    for task in (resumable, other):
        task.refresh_from_db()
        assert (task.status, task.exception_class_path) == ("FAILED", workers.LOST)
        assert "worker gone stopped beating" in task.traceback
    live.refresh_from_db()
    assert live.status == "RUNNING"
    again = DBTaskResult.objects.filter(status="READY")
    assert [(t.task_path, t.args_kwargs["args"]) for t in again] == [
        (send_campaign.module_path, [7])
    ]  # only the resumable one, once
    assert workers.reclaim() == []  # nothing twice


def test_staff_see_a_stalled_campaign_and_resume_it(staff_client):
    with use_profile("ducallier"):
        list_members(3)
        campaign = Campaign.objects.create(kind="newsletter", subject="News", body="Hello.")
        sending.start(campaign)  # then its worker died before sending any of it
        pks = list(deliveries().values_list("pk", flat=True))
        left_sending(campaign, "dead-1", pks[:1])  # and no journal reached this machine
        staff = staff_client("staff.admin")
        page = staff.get("/admin/messaging/campaign/")
        assert "STALLED: 2 queued, 1 sending" in page.content.decode()
        chosen = {"action": "resume", "_selected_action": [campaign.pk]}
        done = staff.post("/admin/messaging/campaign/", chosen, follow=True)
        assert "queued for the worker" in done.content.decode()
        (task,) = DBTaskResult.objects.filter(status="READY")
        assert "STALLED" not in staff.get("/admin/messaging/campaign/").content.decode()
        mail.outbox.clear()
        send_campaign.call(*task.args_kwargs["args"])
        assert len(mail.outbox) == 2  # the unknown one is not sent again
        campaign.refresh_from_db()
        assert campaign.status == "sent"
        page = staff.get("/admin/messaging/campaign/").content.decode()
        assert "2 sent, 1 unknown" in page

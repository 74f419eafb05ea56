"""The data page's own verifier, in a real browser: each use of the customer's data is
checked against the signed audit log by the page's script (no third party), and an
entry tampered with in the database is shown as not in the log."""

import pytest
from django.db import connection
from django.test import override_settings
from playwright.sync_api import expect
from polling import wait_until

from hippocratic.accounts.models import Customer
from hippocratic.enforcement import audit, sequencer
from hippocratic.enforcement.actors import Actor
from hippocratic.enforcement.audit import Action
from hippocratic.enforcement.models import AuditCheckpoint, AuditEntry
from hippocratic.policy.reasons import Reason

from .pages import look, sign_up


def _verdicts(cells) -> list[str]:
    """What the page's script concluded for each use: included, tampered, or awaiting
    the next signed head; pending while it is still checking."""
    return cells.evaluate_all(
        "cs => cs.map(c => c.dataset.verdict || "
        "(c.textContent.includes('awaiting') ? 'awaiting' : 'pending'))"
    )


@pytest.mark.promise("SEC-5")
def test_the_data_page_checks_each_use_against_the_signed_log(site, page, tmp_path):
    key = tmp_path / "audit.pem"
    audit.generate_key(key)
    with override_settings(HIPPOCRATIC_AUDIT_KEY=str(key),
                           HIPPOCRATIC_AUDIT_CHECKPOINTS=str(tmp_path / "heads")):  # fmt: skip
        sign_up(page, site)
        me = Customer.objects.for_purpose(Actor.system("tests"), "essential.service").get().pk
        for task in ("billing.run", "retention"):  # uses by others than the customer
            audit.append(actor=Actor.system(task), action=Action.READ,
                         purpose="essential.service", reason=Reason.ALLOWED,
                         subject="customer", subject_ref=str(me), allowed=True,
                         categories=["user.contact.email"])  # fmt: skip
        audit.checkpoint()  # places what is pending, and signs the head
        page.goto(site + "/account/data/")
        cells = page.locator("[data-audit-proof]")
        assert cells.count() >= 1
        # (the page's CSP allows no eval, so Python polls what its script wrote)
        wait_until(lambda: all(v != "pending" for v in _verdicts(cells)))
        verdicts = _verdicts(cells)
        assert "included" in verdicts and "tampered" not in verdicts
        assert "included in the log signed at" in page.content()
        look(page, "data page, uses checked")

        shown = cells.evaluate_all(
            "cs => cs.filter(c => c.dataset.verdict === 'included').map(c => c.dataset.auditProof)"
        )
        mine = AuditEntry.objects.get(seq=int(shown[0].rsplit("/", 1)[1]))
        with connection.cursor() as cursor:
            cursor.execute("UPDATE enforcement_auditentry SET purpose = %s WHERE id = %s",
                           ["marketing.advertising", mine.id])  # fmt: skip
        sequencer.sequence()
        page.goto(site + "/account/data/")
        tampered = page.locator(f"[data-audit-proof='/api/audit/proof/{mine.seq}']")
        expect(tampered).to_have_attribute("data-verdict", "tampered")
        assert "NOT in the signed log" in tampered.inner_text()

        # The tamperer rebuilds the tree and writes a head row that cannot be verified:
        # a signature that does not even decode is a failed one, not an unchecked one.
        with connection.cursor() as cursor:
            cursor.execute("UPDATE enforcement_auditentry SET hash = NULL")
            cursor.execute("DELETE FROM enforcement_auditnode")
            cursor.execute("UPDATE enforcement_audithead SET seq = 0")
        placed = sequencer.sequence()
        AuditCheckpoint.objects.create(format=audit.TREE_HEAD, seq=placed.size,
                                       hash=placed.root, at=audit._now(),
                                       signature="not base64!", public_key="")  # fmt: skip
        page.goto(site + "/account/data/")
        forged = page.locator(f"[data-audit-proof='/api/audit/proof/{mine.seq}']")
        expect(forged).to_have_attribute("data-verdict", "tampered")

"""The audit log (a Merkle tree, append-only), subjects' opt-outs, and the access cases
under which staff reach one customer's contents (enforcement.cases)."""

from django.conf import settings
from django.db import models
from django.utils import timezone

from hippocratic.policy.reasons import Reason
from hippocratic.provider import policy_version

GENESIS = "0" * 64


class AuditEntry(models.Model):
    """One access decision: who, for what purpose, about whom, which categories, the answer.

    Written by audit.append as a plain insert, with no place yet; the sequencer then
    gives it `seq`, its place in the log (1, 2, …), and `hash`, its leaf hash in the
    log's Merkle tree (RFC 6962: SHA-256 of 0x00 and the canonical encoding of the
    other fields, seq included: tree.canonical). An edit, deletion, insertion or
    reordering changes a leaf, the tree's root, and the signed heads kept outside.

    `prev_hash` and `chain_hash` are the hash chain entries had before the tree (their
    leaves continue it); blank for entries written since.
    """

    seq = models.BigIntegerField(null=True, blank=True)  # unique once placed (Meta)
    at = models.DateTimeField()
    actor = models.CharField(max_length=200)
    role = models.CharField(max_length=60)
    purpose = models.CharField(max_length=200)
    action = models.CharField(max_length=20)
    subject = models.CharField(max_length=40, help_text="The kind of data subject")
    subject_ref = models.CharField(max_length=200, help_text="Which subject, or * for many")
    categories = models.JSONField(default=list)
    allowed = models.BooleanField()
    reason = models.CharField(max_length=40, choices=[(r.value, r.value) for r in Reason])
    rule = models.CharField(max_length=200, blank=True)
    promise = models.CharField(max_length=20, blank=True)
    rows = models.IntegerField(default=0)
    policy_version = models.CharField(
        max_length=64, blank=True, help_text="SHA-256 of the policy file in force"
    )
    # NULL, not "": a pending entry, which the queue's partial index holds (noqa: DJ001).
    hash = models.CharField(max_length=64, null=True, blank=True,  # noqa: DJ001
                            help_text="The leaf hash, once sequenced")  # fmt: skip
    prev_hash = models.CharField(max_length=64, blank=True)
    chain_hash = models.CharField(max_length=64, blank=True, default="")

    class Meta:
        ordering = ["id"]
        verbose_name_plural = "audit entries"
        # An append touches only the primary key and the queue's small index: a place is
        # unique once given (a partial index an INSERT of a pending entry never enters).
        indexes = [  # the sequencer's queue: entries without a place, in written order
            models.Index(
                fields=["id"], condition=models.Q(hash__isnull=True), name="audit_entry_pending"
            ),
        ]
        constraints = [
            models.UniqueConstraint(fields=["seq"], condition=models.Q(seq__isnull=False),
                                    name="audit_entry_one_place"),
        ]  # fmt: skip

    def __str__(self):
        verdict = "allowed" if self.allowed else "denied"
        place = f"#{self.seq}" if self.seq else "(pending)"
        # The purpose is a key: its words are the admin's (purpose_in_words), not the title's.
        return f"{place} {self.actor} {self.action} {self.subject}: {verdict}"


class AuditNode(models.Model):
    """A perfect subtree of the log's Merkle tree above the leaves: 2**level entries
    from place index * 2**level + 1. Written by the sequencer as subtrees complete;
    any root or proof is made from O(log n) of them (enforcement.tree)."""

    level = models.PositiveSmallIntegerField()
    index = models.BigIntegerField()
    hash = models.CharField(max_length=64)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["level", "index"], name="one_audit_node"),
        ]

    def __str__(self):
        return f"audit tree node {self.level}/{self.index}"


def empty_root() -> str:
    """The root of a tree of no entries (RFC 6962: the hash of nothing)."""
    return EMPTY_ROOT


EMPTY_ROOT = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"


class AuditHead(models.Model):
    """The tree's head as the sequencer left it: its size and root (one row)."""

    seq = models.BigIntegerField(default=0)
    hash = models.CharField(max_length=64, default=GENESIS)

    def __str__(self):
        return f"audit tree of {self.seq}"


class AuditCheckpoint(models.Model):
    """A signed tree head (the log's size and root, and when), to keep outside the
    database as well; older rows are signed heads of the hash chain before the tree."""

    format = models.CharField(
        max_length=20, default="chain/1",
        help_text="tree-head/1: a signed tree head; chain/1: the old chain's",
    )  # fmt: skip
    seq = models.BigIntegerField()
    hash = models.CharField(max_length=64)
    at = models.DateTimeField()
    signature = models.CharField(max_length=200)
    public_key = models.CharField(max_length=100)

    def __str__(self):
        return f"checkpoint #{self.seq} at {self.at:%Y-%m-%d %H:%M}"


class AuditVerification(models.Model):
    """The outcome of a whole verification of the log (the worker's hourly job): pages
    that rest on the log (the transparency report) read the newest, so no visitor's
    page view walks a million entries."""

    at = models.DateTimeField()
    ok = models.BooleanField()
    entries = models.BigIntegerField()
    problem = models.TextField(blank=True)

    class Meta:
        ordering = ["-at", "-id"]  # the newest: the last recorded, at the same time too

    def __str__(self):
        return f"audit verified at {self.at:%Y-%m-%d %H:%M}: {'intact' if self.ok else 'broken'}"


class OptOut(models.Model):
    """A subject's refusal of a data use (CH-1, MSG-2): the gateway leaves them out; or,
    with `recipient` and no use, of sharing with a recipient the policy names (DIS-3):
    the sharing path refuses them (enforcement.sharing)."""

    subject = models.CharField(max_length=40)
    subject_id = models.BigIntegerField()
    use = models.CharField(max_length=200, blank=True)
    recipient = models.CharField(max_length=60, blank=True)
    at = models.DateTimeField(auto_now_add=True)
    # The SHA-256 of the policy in force when the choice was made (POL-3): which
    # version's words the subject was answering.
    policy_version = models.CharField(max_length=64, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["subject", "subject_id", "use", "recipient"], name="one_opt_out"
            )
        ]
        indexes = [
            models.Index(fields=["subject", "use", "subject_id"]),
            models.Index(fields=["subject", "recipient", "subject_id"]),
        ]

    def __str__(self):
        refused = self.use or f"sharing with {self.recipient}"
        return f"{self.subject} #{self.subject_id} opted out of {refused}"

    def save(self, *args, **kwargs):
        if not self.policy_version:
            self.policy_version = policy_version()
        super().save(*args, **kwargs)


class AccessCase(models.Model):
    """Staff access to one customer's messages or hosted records: who, on what ground,
    to which items, until when. The only way staff reach contents (COM-2).

    On Ducallier's policy the customer grants it from their account (COM-5); on the
    ISP's, staff open it on one of the policy's disclosure grounds (COM-3), and a case
    of legal process waits for a second staff member's approval."""

    class What(models.TextChoices):
        MESSAGES = "messages", "Messages"
        RECORDS = "records", "Hosted records"

    customer = models.ForeignKey("accounts.Customer", on_delete=models.CASCADE, related_name="+")
    what = models.CharField(max_length=10, choices=What.choices)
    ground = models.CharField(max_length=40)
    # The item numbers it reaches; empty: all of the customer's items of that kind.
    scope = models.JSONField(default=list, blank=True)
    reason = models.CharField(max_length=300, help_text="Why: a ticket, a warrant's number")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )  # fmt: skip
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )  # fmt: skip
    granted_by_customer = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)
    approved_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        db_table = "communications_accesscase"  # made there; the gateway's since
        indexes = [models.Index(fields=["customer", "-created_at"], name="cases_of_customer")]

    def __str__(self):
        return f"Access case #{self.pk}"

    @property
    def rule(self) -> str:
        """How the audit log names reads under this case."""
        return f"access case {self.pk}: {self.ground}"

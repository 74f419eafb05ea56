"""The audit log (hash-chained, append-only), subjects' opt-outs, and the access cases
under which staff reach one customer's contents (enforcement.cases)."""

from django.conf import settings
from django.db import models
from django.utils import timezone

from hippocratic.policy.reasons import Reason
from hippocratic.provider import policy_version

GENESIS = "0" * 64


class AuditEntry(models.Model):
    """One access decision: who, for what purpose, about whom, which categories, the answer.

    `hash` is SHA-256 over `prev_hash` and the canonical encoding of the other
    fields (see audit.canonical); each entry names its predecessor's hash, so an
    edit, deletion, insertion or reordering breaks the chain at that entry.
    """

    seq = models.BigIntegerField(unique=True)
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
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["seq"]
        verbose_name_plural = "audit entries"

    def __str__(self):
        verdict = "allowed" if self.allowed else "denied"
        return (
            f"#{self.seq} {self.actor} {self.action} {self.subject} for {self.purpose}: {verdict}"
        )


class AuditHead(models.Model):
    """The chain's last entry: one row, locked by every append to serialise writers."""

    seq = models.BigIntegerField(default=0)
    hash = models.CharField(max_length=64, default=GENESIS)

    def __str__(self):
        return f"audit head #{self.seq}"


class AuditCheckpoint(models.Model):
    """A signed statement of the chain head, to keep outside the database as well."""

    seq = models.BigIntegerField()
    hash = models.CharField(max_length=64)
    at = models.DateTimeField()
    signature = models.CharField(max_length=200)
    public_key = models.CharField(max_length=100)

    def __str__(self):
        return f"checkpoint #{self.seq} at {self.at:%Y-%m-%d %H:%M}"


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

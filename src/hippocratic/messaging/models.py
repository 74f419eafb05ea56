"""Mail to customers: campaigns (bulletins, newsletters, announcements), the mailing
list and each message sent. A campaign holds no personal data; who it reached is in
its deliveries, chosen through the gateway with the campaign's purpose."""

from django.db import models
from django.utils import timezone

from hippocratic.accounts.models import CustomerOwnedModel
from hippocratic.enforcement.fields import personal
from hippocratic.enforcement.gateway import PersonalDataModel
from hippocratic.enforcement.sealing import SealedTextField

LIST = "user.privacy_preferences"


class Campaign(models.Model):
    class Kind(models.TextChoices):
        # (purpose, who it reaches) for each kind: see messaging.campaigns.KINDS
        BULLETIN = "bulletin", "Service bulletin (every customer, whatever their choices)"
        NEWSLETTER = "newsletter", "Promotion or newsletter (the mailing list, less opt-outs)"
        ANNOUNCEMENT = "announcement", "New or upgraded product (e-mail address only)"

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"

    kind = models.CharField(max_length=20, choices=Kind.choices)
    subject = models.CharField(max_length=200)
    body = models.TextField(
        max_length=20_000,
        help_text="A Django template. It may name {{ customer.<field> }} only where the "
        "policy lets the campaign's purpose use that field; never billing data.",
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)
    created_by = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return f"{self.get_kind_display().split(' (')[0]}: {self.subject}"


class Delivery(CustomerOwnedModel):
    """One campaign's message to one customer. Unique per campaign and customer, and
    marked "sending" before it goes: a worker killed mid-send never sends it twice."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        SENDING = "sending", "Handed to the mail server, no answer recorded"
        SENT = "sent", "Sent"
        FAILED = "failed", "Refused by the mail server"
        # Its worker died while the mail server had it: never sent again (at most once).
        UNKNOWN = "unknown", "Handed over when its worker died; whether it went is not known"

    technical_fields = ("id", "customer", "created_at", "campaign", "status", "message_id",
                        "sent_at", "attempts", "worker")  # fmt: skip

    # No index of its own: the two below start with it, and each index is written again
    # at every change of status (twice a message).
    campaign = models.ForeignKey(
        Campaign, on_delete=models.CASCADE, related_name="deliveries", db_index=False
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.QUEUED)
    # Written with "sending", before the message goes: the Message-ID it carries and the
    # worker sending it, so a dead worker's deliveries are found and reconciled by its
    # journal (messaging.sending.reconcile).
    message_id = models.CharField(max_length=200, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    worker = models.CharField(max_length=64, blank=True)

    class Meta(CustomerOwnedModel.Meta):
        verbose_name_plural = "deliveries"
        constraints = [
            models.UniqueConstraint(fields=["campaign", "customer"], name="one_per_recipient")
        ]
        # The sender's next chunk: this campaign's queued deliveries after the last one.
        indexes = [models.Index(fields=["campaign", "status", "id"], name="delivery_queue")]

    def __str__(self):
        return f"Delivery #{self.pk}"


class ListMembership(CustomerOwnedModel):
    """A customer on the mailing list (MSG-2): when and how they joined, and the words
    they agreed to, under the policy version then in force."""

    source = personal(models.CharField(max_length=40), LIST)
    consent_text = personal(models.CharField(max_length=500), LIST)
    policy_version = personal(models.CharField(max_length=64), LIST)

    class Meta(CustomerOwnedModel.Meta):
        constraints = [models.UniqueConstraint(fields=["customer"], name="one_membership")]

    def __str__(self):
        return f"List membership #{self.pk}"


class ProspectMembership(PersonalDataModel):
    """Someone who is not a customer on the mailing list (MSG-2): joined by double
    opt-in, so `confirmed_at` is empty until they follow the link we mailed them, and
    nothing is sent to them before. Kept with the prospect's other data (ACC-6)."""

    data_subject = "prospect"
    subject_field = "prospect_id"
    technical_fields = ("id", "prospect", "created_at", "confirmed_at")

    prospect = models.OneToOneField("accounts.Prospect", on_delete=models.CASCADE,
                                    related_name="list_membership")  # fmt: skip
    source = personal(models.CharField(max_length=40), LIST)
    consent_text = personal(models.CharField(max_length=500), LIST)
    policy_version = personal(models.CharField(max_length=64), LIST)
    created_at = models.DateTimeField(default=timezone.now)
    confirmed_at = models.DateTimeField(null=True, blank=True)

    class Meta(PersonalDataModel.Meta):
        pass

    def __str__(self):
        return f"Prospect list membership #{self.pk}"


class ProspectDelivery(PersonalDataModel):
    """A campaign's message to a prospect on the list: as Delivery is for customers."""

    data_subject = "prospect"
    subject_field = "prospect_id"
    technical_fields = ("id", "prospect", "created_at", "campaign", "status", "message_id",
                        "sent_at", "attempts", "worker")  # fmt: skip

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, db_index=False,
                                 related_name="prospect_deliveries")  # fmt: skip
    prospect = models.ForeignKey("accounts.Prospect", on_delete=models.CASCADE)
    status = models.CharField(max_length=20, choices=Delivery.Status.choices,
                              default=Delivery.Status.QUEUED)  # fmt: skip
    message_id = models.CharField(max_length=200, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    worker = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta(PersonalDataModel.Meta):
        verbose_name_plural = "prospect deliveries"
        constraints = [
            models.UniqueConstraint(fields=["campaign", "prospect"], name="one_per_prospect")
        ]

    def __str__(self):
        return f"Prospect delivery #{self.pk}"


class InboundMail(CustomerOwnedModel):
    """A message the LMTP server took and the worker has yet to act on
    (messaging.inbound.accept): what its request needs; the subject and text only of
    mail to support, sealed. The row is deleted in the transaction that acts on it; it
    names no customer (the worker finds who sent it), and a row the worker could not
    act on keeps the reason."""

    MAX_ATTEMPTS = 5

    technical_fields = ("id", "customer", "created_at", "message_key", "kind", "who",
                        "choice", "status", "attempts", "last_error")  # fmt: skip
    # Nobody's account: retention runs from when it came (enforcement.retention).
    accountless_clock = "created_at"

    customer = models.ForeignKey("accounts.Customer", null=True, blank=True,
                                 on_delete=models.CASCADE, related_name="+")  # fmt: skip
    message_key = models.CharField(max_length=100, unique=True)
    kind = models.CharField(max_length=20)
    sender = personal(models.EmailField(max_length=254), "user.contact.email")
    who = models.CharField(max_length=24, blank=True, help_text="Whom a reply+ or bounce+ "
                           "address names: a customer's number, or p and a prospect's")  # fmt: skip
    choice = models.CharField(max_length=60, blank=True)
    status = models.CharField(max_length=1, blank=True, help_text="A bounce's status class")
    subject = personal(SealedTextField(blank=True), "user.account")
    text = personal(SealedTextField(blank=True), "user.account")
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=200, blank=True)

    class Meta(CustomerOwnedModel.Meta):
        verbose_name_plural = "inbound mail"

    def __str__(self):
        return f"Inbound mail #{self.pk} ({self.kind})"


class Suppression(models.Model):
    """An address that is never mailed marketing again, kept as a keyed hash only: after
    an erasure, or when it bounced for good. Nothing else about them stays here."""

    class Reason(models.TextChoices):
        ERASED = "erased", "The customer was erased"
        BOUNCED = "bounced", "The address bounced"

    digest = models.CharField(max_length=64, unique=True)
    reason = models.CharField(max_length=20, choices=Reason.choices)
    at = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return f"Suppressed address ({self.get_reason_display()})"


class BounceScore(CustomerOwnedModel):
    """Bounces of a customer's address, as Mailman counts them: a hard bounce stops mail
    at once; soft bounces add up, and at the threshold mail stops."""

    technical_fields = ("id", "customer", "created_at", "score", "disabled_at")

    score = models.PositiveSmallIntegerField(default=0)
    disabled_at = models.DateTimeField(null=True, blank=True)

    class Meta(CustomerOwnedModel.Meta):
        constraints = [models.UniqueConstraint(fields=["customer"], name="one_bounce_score")]

    def __str__(self):
        return f"Bounce score #{self.pk}"

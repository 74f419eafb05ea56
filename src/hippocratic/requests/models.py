"""The one ledger of requests (CH-3): whatever was asked, by whom, by which channel,
when it is due, and what was done, by whom, with the audit entries of the work."""

from django.conf import settings
from django.db import models
from django.utils import timezone

from hippocratic.accounts.models import CustomerOwnedModel
from hippocratic.enforcement.fields import personal
from hippocratic.enforcement.sealing import SealedTextField
from hippocratic.policy.models import ChannelKind, ChoiceKind

SUBJECT_MAX = 200
TEXT_MAX = 5000


class Request(CustomerOwnedModel):
    """A customer's, a prospect's or an unknown sender's request. `customer` is empty
    until the sender is known to be a customer; a request is never acted on for
    someone else (services.confirm_link: identity before action)."""

    class Kind(models.TextChoices):
        # The policy's kinds of choice (its values, not copies), and two of the ledger's own.
        ACCESS = ChoiceKind.ACCESS, "See the data we hold"
        CORRECTION = ChoiceKind.CORRECTION, "Correct the data we hold"
        DELETION = ChoiceKind.DELETION, "Delete an account and its data"
        OPT_OUT = ChoiceKind.OPT_OUT, "Change how information is used or shared"
        UNSUBSCRIBE = "unsubscribe", "Leave the mailing list"  # an opt-out from the list
        QUESTION = ChoiceKind.QUESTION, "A question or concern about collection, use or disclosure"
        SUPPORT = "support", "Written to support"  # under no choice of the policy

        @property
        def choice_kind(self) -> ChoiceKind | None:
            """The kind of the policy's choice a request of this kind acts under."""
            if self is type(self).UNSUBSCRIBE:
                return ChoiceKind.OPT_OUT
            return ChoiceKind(self.value) if self.value in ChoiceKind else None

    class Channel(models.TextChoices):
        # The policy's channels, and the API (a portal a program uses).
        PORTAL = ChannelKind.PORTAL, "Account pages"
        API = "api", "API"
        ONLINE_FORM = ChannelKind.ONLINE_FORM, "Online form"
        EMAIL = ChannelKind.EMAIL, "E-mail"
        REPLY = ChannelKind.REPLY, "Reply to a message"
        UNSUBSCRIBE_LINK = ChannelKind.UNSUBSCRIBE_LINK, "Unsubscribe link"

    class Requester(models.TextChoices):
        CUSTOMER = "customer", "Customer"
        PROSPECT = "prospect", "Prospect"
        UNVERIFIED = "unverified", "Unverified sender"

    class Status(models.TextChoices):
        CONFIRMING = "confirming", "Waiting for the sender to confirm"
        OPEN = "open", "Open"
        DONE = "done", "Done"
        REFUSED = "refused", "Refused"

    technical_fields = (
        "id", "customer", "created_at", "kind", "channel", "requester", "choice",
        "message_key", "due_at", "status", "done_at", "done_by", "outcome", "assigned_to",
        "audit_entries",
    )  # fmt: skip

    # A request from someone with no account (a visitor's question, a stranger's mail)
    # has no account to close: retention runs from when it came (enforcement.retention).
    accountless_clock = "created_at"

    customer = models.ForeignKey(
        "accounts.Customer", null=True, blank=True, on_delete=models.CASCADE,
        related_name="request_set",
    )  # fmt: skip
    kind = models.CharField(max_length=20, choices=Kind.choices)
    channel = models.CharField(max_length=20, choices=Channel.choices)
    requester = models.CharField(max_length=20, choices=Requester.choices)
    choice = models.CharField(max_length=60, blank=True, help_text="The policy's choice key")
    message_key = models.CharField(
        max_length=100, null=True, blank=True, unique=True,
        help_text="A mailed request's Message-ID (or a digest): stored once.",
    )  # fmt: skip
    sender = personal(models.EmailField(max_length=254, blank=True), "user.contact.email")
    # What was asked and answered: sealed at rest (enforcement.sealing), kept for the
    # request's life and the retention the policy gives its category.
    subject = personal(SealedTextField(max_length=SUBJECT_MAX, blank=True), "user.account")
    text = personal(SealedTextField(max_length=TEXT_MAX, blank=True), "user.account")
    answer = personal(SealedTextField(max_length=TEXT_MAX, blank=True), "user.account")
    digest = personal(models.CharField(
        max_length=64, blank=True, db_index=True,
        help_text="A keyed hash of who asked what (never the text): a replayed post is "
        "found again; it goes with the text",
    ), "user.account")  # fmt: skip
    due_at = models.DateTimeField()
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.OPEN)
    done_at = models.DateTimeField(null=True, blank=True)
    done_by = models.CharField(max_length=200, blank=True)
    outcome = models.CharField(max_length=300, blank=True, help_text="What was done")
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )  # fmt: skip
    audit_entries = models.JSONField(
        default=list, blank=True, help_text="The ids of the work's audit entries"
    )

    class Meta(CustomerOwnedModel.Meta):
        indexes = [models.Index(fields=["status", "due_at"])]

    def __str__(self):
        return f"{self.get_kind_display()} #{self.pk}"

    @property
    def is_open(self) -> bool:
        return self.status in (self.Status.OPEN, self.Status.CONFIRMING)

    @property
    def overdue(self) -> bool:
        return self.is_open and self.due_at < timezone.now()

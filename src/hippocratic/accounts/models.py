"""Customers: the people and organisations the provider serves."""

from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone

from hippocratic.enforcement.fields import personal
from hippocratic.enforcement.gateway import PersonalDataModel


class Organisation(models.Model):
    """An organisation whose people share an account (ACC-5): each member is a
    Customer with their own login and contact details. The organisation row
    itself holds nothing personal; its members' rows say who they are.

    `size` counts its members, kept as they join and are erased: the owner sees how
    many users the organisation has without anyone reading the members' rows."""

    created_at = models.DateTimeField(default=timezone.now)
    size = models.PositiveIntegerField(default=0)

    def __str__(self):
        return f"Organisation #{self.pk}"


class Customer(PersonalDataModel):
    """A customer's contact details and account status (ACC-1, ACC-3).

    A field whose category the provider's policy does not collect stays empty:
    the gateway refuses to write it (Dracon collects no e-mail address). The
    sign-up and profile forms are built from the policy, field by category
    (accounts.forms.contact_form).
    """

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        CLOSED = "closed", "Closed"
        ERASED = "erased", "Erased (only records the law requires are kept)"

    class Membership(models.TextChoices):
        INDIVIDUAL = "individual", "Individual"
        OWNER = "owner", "Organisation owner"
        MEMBER = "member", "Organisation member"

    data_subject = "customer"
    technical_fields = ("id", "user", "organisation", "created_at", "closed_at")
    closure_clock = "closed_at"
    login_field = "user"

    user = models.OneToOneField(
        "auth.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="customer"
    )
    organisation = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.SET_NULL, related_name="members"
    )
    name = personal(models.CharField(max_length=200), "user.name")
    email = personal(models.EmailField(blank=True), "user.contact.email")
    phone = personal(models.CharField(max_length=40, blank=True), "user.contact.phone_number")
    address = personal(models.TextField(blank=True, max_length=500), "user.contact.address")
    company = personal(models.CharField(max_length=200, blank=True), "user.contact.organization")
    domain_name = personal(models.CharField(max_length=253, blank=True), "user.contact.url")
    title = personal(models.CharField(max_length=100, blank=True), "user.job_title")
    department = personal(models.CharField(max_length=100, blank=True), "user.workplace")
    fax = personal(models.CharField(max_length=40, blank=True), "user.contact.fax_number")
    status = personal(
        models.CharField(max_length=20, choices=Status.choices, default=Status.ACTIVE),
        "user.account.settings",
    )
    membership = personal(
        models.CharField(max_length=20, choices=Membership.choices, default=Membership.INDIVIDUAL),
        "user.account.settings",
    )
    created_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta(PersonalDataModel.Meta):
        indexes = [
            models.Index(fields=["created_at"]),
            # Mail from a customer's address finds them (unsubscribe, requests).
            models.Index(Lower("email"), name="customer_email_lower"),
        ]

    def __str__(self):
        return f"Customer #{self.pk}"


class CustomerOwnedModel(PersonalDataModel):
    """Base of every row a customer owns (subscriptions, the customer log, cards,
    invoices …): it names its customer, so the gateway scopes a customer to their
    own rows, retention runs from the account's closing, and the customer's data
    page, export and erasure find it (own_data.customer_models)."""

    data_subject = "customer"
    subject_field = "customer_id"
    technical_fields = ("id", "customer", "created_at")
    closure_clock = "customer__closed_at"

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="%(class)s_set")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta(PersonalDataModel.Meta):
        abstract = True


class Prospect(PersonalDataModel):
    """Someone who asked for information and is not a customer (ACC-6): a table of
    its own, read only for the purposes the policy gives prospects' data, and
    never linked to a customer row or a login. The same inquiry sent again within a
    day is this row, counted (`times`), not another: `fingerprint` is a keyed digest of
    what was asked (no client address: VIS-4), from which nothing can be read back."""

    data_subject = "prospect"
    technical_fields = ("id", "created_at", "fingerprint", "times")

    name = personal(models.CharField(max_length=200), "user.name")
    email = personal(models.EmailField(blank=True), "user.contact.email")
    company = personal(models.CharField(max_length=200, blank=True), "user.contact.organization")
    title = personal(models.CharField(max_length=100, blank=True), "user.job_title")
    created_at = models.DateTimeField(default=timezone.now)
    fingerprint = models.CharField(max_length=32, blank=True, db_index=True, editable=False)
    times = models.PositiveIntegerField(default=1, editable=False)

    class Meta(PersonalDataModel.Meta):
        pass

    def __str__(self):
        return f"Prospect #{self.pk}"


class Service(models.Model):
    """An entry in the provider's catalogue: not personal data."""

    code = models.SlugField(unique=True)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    monthly_price_cents = models.PositiveIntegerField(default=0)
    currency = models.CharField(max_length=3, default="USD")
    available = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class Subscription(CustomerOwnedModel):
    """A customer's choice of a service (ACC-3); discontinuing ends it (ACC-7), and so
    does suspension for an invoice left unpaid. `ended_at` is when it stopped,
    either way: billing charges for the time between the two."""

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        DISCONTINUED = "discontinued", "Discontinued"
        SUSPENDED = "suspended", "Suspended (unpaid invoice)"

    service = personal(
        models.ForeignKey(Service, on_delete=models.PROTECT, related_name="+"),
        "user.behavior.purchase_history",
    )
    status = personal(
        models.CharField(max_length=20, choices=Status.choices, default=Status.ACTIVE),
        "user.behavior.purchase_history",
    )
    ended_at = personal(
        models.DateTimeField(null=True, blank=True), "user.behavior.purchase_history"
    )

    class Meta(CustomerOwnedModel.Meta):
        indexes = [models.Index(fields=["customer", "created_at"])]

    def __str__(self):
        return f"Subscription #{self.pk}"


class AccountEvent(CustomerOwnedModel):
    """The customer log (ACC-3): what happened to the account, in the normal course
    of service. It says what changed, never the values (no password, no card).

    Each app writes its own kinds of event through `customer_log.record()`
    (billing: a card added, a charge); `Kind` holds the accounts app's own.
    """

    class Kind(models.TextChoices):
        SIGNED_UP = "signed_up", "Signed up"
        JOINED = "joined", "Joined an organisation"
        PROFILE_CHANGED = "profile_changed", "Changed contact details"
        SUBSCRIBED = "subscribed", "Chose a service"
        DISCONTINUED = "discontinued", "Discontinued a service"
        EXPORTED = "exported", "Downloaded their data"
        CLOSED = "closed", "Closed the account"
        RECOVERED = "recovered", "Set a new password (account recovery)"
        RECOVERY_CODES = "recovery_codes", "Got new recovery codes"

    kind = personal(models.CharField(max_length=40), "user.account")
    detail = personal(models.CharField(max_length=300, blank=True), "user.account")

    class Meta(CustomerOwnedModel.Meta):
        indexes = [models.Index(fields=["customer", "created_at"])]

    def __str__(self):
        return f"Account event #{self.pk}"


class TermsAcceptance(CustomerOwnedModel):
    """Which version of the terms of service a customer accepted, and when (issue 31):
    the version's number (versions.terms; none where the terms in force were never
    published as such) and the digest of its clauses, so the text accepted is known."""

    technical_fields = ("id", "customer", "created_at", "sha256")

    version = personal(models.PositiveIntegerField(null=True, blank=True), "user.account.settings")
    sha256 = models.CharField(max_length=64, help_text="The digest of the clauses accepted")

    class Meta(CustomerOwnedModel.Meta):
        verbose_name = "terms accepted"
        verbose_name_plural = "terms accepted"

    def __str__(self):
        return f"Terms accepted #{self.pk}"


class AccountSession(models.Model):
    """A signed-in session of a user, so that "log out of all my sessions" can end
    every one of them on the server (SEC-3). No address, no user agent."""

    user = models.ForeignKey("auth.User", on_delete=models.CASCADE, related_name="+")
    session_key = models.CharField(max_length=64, unique=True)
    started_at = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return f"session of user #{self.user_id} since {self.started_at:%Y-%m-%d %H:%M}"


class RememberToken(models.Model):
    """The server's half of a "remember me" cookie (CK-4): the cookie holds the
    token's id and secret, encrypted; only a hash of the secret is kept here."""

    user = models.ForeignKey("auth.User", on_delete=models.CASCADE, related_name="+")
    selector = models.CharField(max_length=32, unique=True)
    secret_hash = models.CharField(max_length=64)
    expires_at = models.DateTimeField()

    def __str__(self):
        return f"remember-me token of user #{self.user_id}"


class RecoveryCode(models.Model):
    """One of the single-use codes shown once at sign-up where the policy keeps no
    e-mail address to send a reset link to (accounts.recovery). Only a SHA-256 of the
    code is kept (a code is 80 random bits: no salt or slow hash needed); a code used
    is deleted, and so are all of a login's when its account closes."""

    user = models.ForeignKey("auth.User", on_delete=models.CASCADE, related_name="+")
    code_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["user", "code_hash"])]

    def __str__(self):
        return f"recovery code of user #{self.user_id}"

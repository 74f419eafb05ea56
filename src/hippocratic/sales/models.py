"""The internal sales-tracking records (CK-2): an order placed on a product's landing
page, with what the visitor typed into the order form. Held under the customer
subject's items collected at the order form, for the sales purpose only."""

from django.db import models
from django.utils import timezone

from hippocratic.accounts.models import CustomerOwnedModel
from hippocratic.enforcement.fields import personal
from hippocratic.enforcement.gateway import PersonalDataModel


class Order(PersonalDataModel):
    data_subject = "customer"
    technical_fields = ("id", "service", "created_at")
    # No account to close: the order's own date runs every retention period.
    closure_clock = "created_at"

    service = models.ForeignKey("accounts.Service", on_delete=models.PROTECT)
    name = personal(models.CharField(max_length=200, blank=True), "user.name")
    email = personal(models.EmailField(blank=True), "user.contact.email")
    phone = personal(models.CharField(max_length=40, blank=True), "user.contact.phone_number")
    address = personal(models.TextField(blank=True, max_length=500), "user.contact.address")
    company = personal(models.CharField(max_length=200, blank=True), "user.contact.organization")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta(PersonalDataModel.Meta):
        indexes = [models.Index(fields=["created_at"])]

    def __str__(self):
        return f"Order #{self.pk}"


class Affiliate(models.Model):
    """An affiliate or promotion with a link of its own (/go/<code>/), and the referral
    partner it belongs to, if any (a key from the policy's recipients)."""

    code = models.SlugField(unique=True, max_length=60)
    name = models.CharField(max_length=200)
    partner = models.CharField(max_length=60, blank=True, help_text="A recipient key")
    active = models.BooleanField(default=True)

    def __str__(self):
        return self.name


class Referral(CustomerOwnedModel):
    """A customer who signed up after accepting an affiliate's cookie (CK-5): the
    record a referral partner's joint customers come from. It names the affiliate,
    nothing else about the visit."""

    technical_fields = ("id", "customer", "created_at", "affiliate")

    affiliate = models.ForeignKey(Affiliate, on_delete=models.PROTECT)

    class Meta(CustomerOwnedModel.Meta):
        constraints = [models.UniqueConstraint(fields=["customer"], name="one_referral")]

    def __str__(self):
        return f"Referral #{self.pk}"

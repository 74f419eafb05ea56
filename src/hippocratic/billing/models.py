"""What is kept of a customer's card: the processor's token and display hints (PAY-1)."""

from django.db import models
from django.utils import timezone

from hippocratic.accounts.models import Customer
from hippocratic.enforcement.fields import personal
from hippocratic.enforcement.gateway import PersonalDataModel


class PaymentMethod(PersonalDataModel):
    data_subject = "customer"
    subject_field = "customer_id"
    technical_fields = ("id", "customer", "created_at")
    closure_clock = "customer__closed_at"

    # PROTECT: a customer row is not deleted while a retained billing record names it.
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="payment_methods")
    processor_token = personal(models.CharField(max_length=200), "user.financial.credit_card")
    brand = personal(models.CharField(max_length=20), "user.financial.credit_card")
    last4 = personal(models.CharField(max_length=4), "user.financial.credit_card")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta(PersonalDataModel.Meta):
        pass

    def __str__(self):
        return f"Payment method #{self.pk}"

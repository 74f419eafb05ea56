"""The notices of material policy changes sent to customers (POL-3)."""

from django.db import models
from django.utils import timezone


class PolicyNotice(models.Model):
    """The notice of a material change sent to one customer (POL-3): made before the
    mail goes and marked when it went, so a retried job never mails anyone twice."""

    version = models.ForeignKey(
        "versions.PolicyVersion", on_delete=models.PROTECT, related_name="notices"
    )
    customer = models.ForeignKey("accounts.Customer", on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["version", "customer"], name="one_notice_each")
        ]

    def __str__(self):
        return f"Notice of version {self.version_id} to customer #{self.customer_id}"

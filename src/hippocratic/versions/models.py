"""Published versions of the policy file (POL-4): the exact text, byte for byte, its
hash and revision date, and when it was published and takes effect."""

from django.db import models
from django.utils import timezone


class PolicyVersion(models.Model):
    number = models.PositiveIntegerField(unique=True)
    sha256 = models.CharField(max_length=64, unique=True)
    text = models.TextField(help_text="The policy file exactly as published")
    revision_date = models.DateField()
    published_at = models.DateTimeField(default=timezone.now)
    effective_at = models.DateTimeField(default=timezone.now)
    published_by = models.CharField(max_length=200, blank=True)
    # What changed from the version in force when it was published (policy.diff), in
    # words: [{"words", "material", "rule"}]; material changes wait for the notice period.
    changes = models.JSONField(default=list, blank=True)
    material = models.BooleanField(default=False)

    class Meta:
        ordering = ["number"]
        db_table = "site_policyversion"  # where it was made, before it had an app of its own

    def __str__(self):
        return f"Policy version {self.number} ({self.revision_date:%Y-%m-%d})"

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

    class Meta:
        ordering = ["number"]

    def __str__(self):
        return f"Policy version {self.number} ({self.revision_date:%Y-%m-%d})"

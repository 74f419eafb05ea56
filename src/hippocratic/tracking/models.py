"""What the web server keeps about visitors, and the aggregates made from it.

Raw page views hold only the fields the policy's `visitor_log` lists (VIS-2,
VIS-3); they are personal data, read through the gateway, and purged after the
policy's period (VIS-10). Daily rollups are anonymous counts and stay.
"""

import uuid

from django.db import models
from django.utils import timezone

from hippocratic.enforcement.fields import personal
from hippocratic.enforcement.gateway import PersonalDataModel

BROWSING = "user.behavior.browsing_history"


class PageView(PersonalDataModel):
    """One page view. No address, no cookie, no identifier (VIS-4).

    `visitor_digest` is a keyed hash of address, user agent and site under the
    day's salt (visitors.py); it only counts unique visitors and is blanked
    when that salt is deleted, 48 hours on.
    """

    data_subject = "visitor"
    technical_fields = ("id", "is_bot", "visitor_digest")
    retention_clock = "time"

    time = personal(models.DateTimeField(db_index=True), BROWSING)
    path = personal(models.CharField(max_length=2000), BROWSING)
    isp_domain = personal(models.CharField(max_length=253, blank=True), "user.device")
    browser_family = personal(models.CharField(max_length=100, blank=True), "user.device")
    os_family = personal(models.CharField(max_length=100, blank=True), "user.device")
    referrer_domain = personal(models.CharField(max_length=253, blank=True), BROWSING)
    is_bot = models.BooleanField(default=False)
    visitor_digest = models.CharField(max_length=32, blank=True)

    class Meta(PersonalDataModel.Meta):
        pass


class DiagnosticAddress(PersonalDataModel):
    """An Internet address kept for diagnosing problems (VIS-11), apart from page
    views, only where the policy collects addresses for that purpose; its own
    (short) retention comes from the policy.

    One row per address and hour, with a random key: nothing it holds is shared with
    a page view (no id, no exact time), so the two cannot be joined to tell whose
    browsing a page view was. An hour is as fine as diagnosis needs (which addresses
    were at the server when something went wrong)."""

    data_subject = "visitor"
    technical_fields = ("id", "hour")
    retention_clock = "hour"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    hour = models.DateTimeField(db_index=True, help_text="The hour it was seen (UTC)")
    ip_address = personal(models.GenericIPAddressField(), "user.device.ip_address")

    class Meta(PersonalDataModel.Meta):
        constraints = [
            models.UniqueConstraint(fields=["hour", "ip_address"], name="one_address_an_hour")
        ]


class DailySalt(models.Model):
    """The random salt of one day's visitor digests; deleted 48 hours after it
    was made, after which that day's digests can be linked to nobody."""

    day = models.DateField(unique=True)
    salt = models.BinaryField(max_length=32)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return f"salt of {self.day}"


class Dimension(models.TextChoices):
    TOTAL = "total", "All human page views"
    BOTS = "bots", "Page views by bots"
    PAGE = "page", "Pages"
    ISP = "isp_domain", "ISP domains"
    REFERRER = "referrer_domain", "Referring sites"
    BROWSER = "browser_family", "Browsers"
    OS = "os_family", "Operating systems"


class DailyStat(models.Model):
    """Anonymous daily counts for one value of one dimension (VIS-6).

    `visitors` counts distinct visitor digests; it is None where the policy
    counts no unique visitors. Values beyond the day's top ROLLUP_TOP_N of a
    dimension are folded into OTHER, so a day costs the same to report
    whatever the traffic.
    """

    OTHER = "(other)"
    UNKNOWN = "(unknown)"

    day = models.DateField()
    dimension = models.CharField(max_length=20, choices=Dimension.choices)
    value = models.CharField(max_length=2000, blank=True)
    views = models.PositiveBigIntegerField(default=0)
    visitors = models.PositiveBigIntegerField(null=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["dimension", "day", "value"], name="one_stat_per_value")
        ]

    def __str__(self):
        return f"{self.day} {self.dimension} {self.value}: {self.views}"


class LogImport(models.Model):
    """Progress of one imported server log, so an import is counted once (VIS-12).

    A file is known by a hash of its first 64 KiB; `lines_done` moves in the
    same transaction as the page views of each batch, so a killed import
    resumes where its last batch ended, and a log that has grown is imported
    from there on.
    """

    fingerprint = models.CharField(max_length=64, unique=True)
    name = models.CharField(max_length=500)
    lines_done = models.PositiveBigIntegerField(default=0)
    views = models.PositiveBigIntegerField(default=0)
    malformed = models.PositiveBigIntegerField(default=0)
    started_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return f"{self.name}: {self.lines_done} lines"

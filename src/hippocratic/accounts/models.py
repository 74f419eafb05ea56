"""Customers: the people and organisations the provider serves."""

from django.db import models
from django.utils import timezone

from hippocratic.enforcement.fields import personal
from hippocratic.enforcement.gateway import PersonalDataModel


class Customer(PersonalDataModel):
    """A customer's contact details and account status (ACC-1, ACC-3).

    A field whose category the provider's policy does not collect stays empty:
    the gateway refuses to write it (Dracon collects no e-mail address).
    """

    data_subject = "customer"
    technical_fields = ("id", "created_at", "closed_at")
    closure_clock = "closed_at"

    name = personal(models.CharField(max_length=200), "user.name")
    email = personal(models.EmailField(blank=True), "user.contact.email")
    phone = personal(models.CharField(max_length=40, blank=True), "user.contact.phone_number")
    address = personal(models.TextField(blank=True), "user.contact.address")
    company = personal(models.CharField(max_length=200, blank=True), "user.contact.organization")
    status = personal(models.CharField(max_length=20, default="active"), "user.account.settings")
    created_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta(PersonalDataModel.Meta):
        indexes = [models.Index(fields=["created_at"])]

    def __str__(self):
        return f"Customer #{self.pk}"


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

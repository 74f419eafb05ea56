"""The messaging pages for staff: the development outbox."""

import pytest
from django.test import Client
from tests_paths import use_profile

pytestmark = pytest.mark.django_db


def test_the_development_outbox_shows_staff_the_mail_sent(settings, tmp_path, admin_client):
    settings.DEBUG = True
    settings.MAILERS = {"default": {"BACKEND": "django.core.mail.backends.filebased.EmailBackend",
                                    "OPTIONS": {"file_path": str(tmp_path)}}}  # fmt: skip
    with use_profile("ducallier"):
        from django.core.mail import send_mail

        send_mail("Welcome aboard", "Hello from the demo.", "support@ducallier.com",
                  ["ada@lovelace.example"])  # fmt: skip
        page = admin_client.get("/mail/outbox/").content.decode()
        assert "Welcome aboard" in page and "Hello from the demo." in page
        assert Client().get("/mail/outbox/").status_code == 302  # staff only
        settings.DEBUG = False
        assert admin_client.get("/mail/outbox/").status_code == 404  # development only

"""Django's database sessions, kept for the lifetime the policy declares for the
session cookie: a cookie declared without `max_age_days` lasts one browser session
(no Expires or Max-Age), one declared for N days is sent with that Max-Age."""

from django.conf import settings
from django.contrib.sessions.backends import db
from django.contrib.sessions.backends.base import SessionBase
from django.utils.module_loading import import_string

from hippocratic.provider import current_policy


def declared_days() -> int | None:
    """The session cookie's declared lifetime in days (None: one browser session)."""
    name = settings.SESSION_COOKIE_NAME
    cookie = next((c for c in current_policy().cookies if c.name == name), None)
    return cookie.max_age_days if cookie else None


class SessionStore(db.SessionStore):
    def get_session_cookie_age(self):
        days = declared_days()
        return days * 86400 if days else settings.SESSION_COOKIE_AGE

    def get_expire_at_browser_close(self):
        if self.get("_session_expiry") is None:
            return declared_days() is None
        return super().get_expire_at_browser_close()


def session_store(session_key: str) -> SessionBase:
    """The configured engine's store for one session (to end it from elsewhere)."""
    engine = import_string(settings.SESSION_ENGINE + ".SessionStore")
    return engine(session_key)

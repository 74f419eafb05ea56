"""Signing in and out (SEC-1, SEC-3, SEC-4, CK-4)."""

from django.conf import settings
from django.contrib import auth
from django.contrib.sessions.backends.base import SessionBase
from django.utils.module_loading import import_string

from hippocratic.accounts import remember
from hippocratic.accounts.models import AccountSession


def _store(session_key: str) -> SessionBase:
    engine = import_string(settings.SESSION_ENGINE + ".SessionStore")
    return engine(session_key)


MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"


def session_start(request, user) -> None:
    """Sign `user` in: Django's login() gives a new session key (SEC-4), which we
    note so that all the user's sessions can be ended later. (A user who came
    through authenticate() carries its backend; one remembered by cookie gets
    the model backend.)"""
    auth.login(request, user, backend=getattr(user, "backend", MODEL_BACKEND))
    request.session.save()
    AccountSession.objects.get_or_create(user=user, session_key=request.session.session_key)


def session_end(request) -> None:
    """Log off: the session is deleted on the server, not just forgotten (SEC-3)."""
    key = request.session.session_key
    if key:
        AccountSession.objects.filter(session_key=key).delete()
    auth.logout(request)  # flushes the session from the store


def sessions_end_all(request) -> int:
    """End every session of the signed-in user, everywhere, and their remember-me
    tokens; returns how many other sessions there were (SEC-3)."""
    user = request.user
    current = request.session.session_key
    others = AccountSession.objects.filter(user=user).exclude(session_key=current)
    count = 0
    for session in others:
        _store(session.session_key).delete()
        count += 1
    others.delete()
    remember.forget_all(user)
    session_end(request)
    return count

"""The customers' fixtures, shared with the accounts tests."""

from accounts.conftest import hosting, signed_up  # noqa: F401

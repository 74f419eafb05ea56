"""Settings for the test suite: production settings with test-only values.

DEBUG stays off, so the suite runs what production runs; the secret below is
for tests only and is never used by a deployed site.
"""

import atexit
import os
import shutil
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
os.environ.setdefault("HIPPOCRATIC_HOME", str(REPO))
os.environ.setdefault("SECRET_KEY", "tests-only-not-a-secret-" + "x" * 40)
os.environ.setdefault("ALLOWED_HOSTS", "testserver,localhost")
# Tests only, never a deployed site's: 32 bytes of "k", URL-safe base64.
os.environ.setdefault("HIPPOCRATIC_MAILBOX_KEY", "a2tra2tra2tra2tra2tra2tra2tra2tra2tra2tra2s=")
os.environ.setdefault("SECURE_SSL_REDIRECT", "0")
os.environ.setdefault("SITE_URL", "http://127.0.0.1:8000")
# A demo's var/demo.env (`make run`) in the checkout never leaks into the tests, nor into
# the commands they start.
os.environ["HIPPOCRATIC_ENV_FILE"] = ""
os.environ.pop("HIPPOCRATIC_DEBUG", None)

from hippocratic.settings import *  # noqa: E402, F403

# WhiteNoise looks for collectstatic's folder when each test client starts; without it,
# it warned once per test. The folder exists in production once collectstatic ran.
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # noqa: F405

# Each test process (`make test` runs several, pytest-xdist) has its own audit key,
# checkpoints and exports: two processes making var/'s key at once would race.
TEST_VAR = Path(tempfile.mkdtemp(prefix="hippocratic-tests-"))
atexit.register(shutil.rmtree, TEST_VAR, ignore_errors=True)
HIPPOCRATIC_AUDIT_KEY = str(TEST_VAR / "audit-ed25519.pem")
HIPPOCRATIC_AUDIT_CHECKPOINTS = str(TEST_VAR / "audit-checkpoints")
HIPPOCRATIC_PARTNER_EXPORTS = str(TEST_VAR / "partner-exports")

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # speed, tests only
# Static files by their plain names: the suite runs without `collectstatic` (tests/web/
# test_static.py runs it, and checks the hashed names production serves).
STORAGES = {**STORAGES, "staticfiles": {  # noqa: F405
    "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}  # fmt: skip

if DATABASES["default"]["ENGINE"].endswith(".sqlite3"):  # noqa: F405
    # A file, as in production: WAL and IMMEDIATE transactions then behave as they
    # will there, and concurrent-writer tests run on SQLite too.
    DATABASES["default"]["TEST"] = {"NAME": str(REPO / "var" / f"test-{os.getpid()}.sqlite3")}  # noqa: F405

# No flush thread: a test writes its buffered page views with flush(), inside
# its own transaction.
HIPPOCRATIC_TRACKING = {**HIPPOCRATIC_TRACKING, "flush_seconds": None}  # noqa: F405
HIPPOCRATIC_STRICT_PROMISES = False  # the tests may run under a promise not yet kept

# The policy is the file each test names (use_profile); the tests of published
# versions switch this on to have the site enforce the version in force (POL-3).
HIPPOCRATIC_POLICY_VERSIONS = False

# The doors' rate limits (site.limits) are off for the suite, which posts to one door
# many times from one address; tests/web/test_limits.py turns them on.
RATELIMIT_ENABLE = False

"""Static files as production serves them: `collectstatic` writes hashed, compressed
copies, and the web process itself (WhiteNoise) serves them with a long cache header."""

import json
import os
import subprocess
import sys

SERVE = """
import django, json
django.setup()
from django.core.management import call_command
from django.templatetags.static import static
from django.test import Client
call_command("collectstatic", "--noinput", verbosity=0)
url = static("site/site.css")
got = Client().get(url, secure=True)
print(json.dumps({"url": url, "status": got.status_code,
                  "cache": got.headers.get("Cache-Control", ""),
                  "body": b"".join(got.streaming_content).decode()[:200]}))
"""


def test_the_stylesheet_has_a_hashed_name_and_a_long_cache_header(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "HIPPOCRATIC_DEBUG"} | {
        "DJANGO_SETTINGS_MODULE": "hippocratic.settings",  # production's, not the tests'
        "HIPPOCRATIC_HOME": str(tmp_path), "SECRET_KEY": "s" * 50, "ALLOWED_HOSTS": "testserver",
        "HIPPOCRATIC_MAILBOX_KEY": "a2tra2tra2tra2tra2tra2tra2tra2tra2tra2tra2s=",
    }  # fmt: skip
    run = subprocess.run([sys.executable, "-c", SERVE], env=env, cwd=tmp_path,
                         capture_output=True, text=True, timeout=120)  # fmt: skip
    assert run.returncode == 0, run.stderr
    got = json.loads(run.stdout.strip().splitlines()[-1])
    name = got["url"].rsplit("/", 1)[1]
    assert name.startswith("site.") and name.endswith(".css") and len(name) > len("site.css") + 8
    assert got["status"] == 200 and got["body"].strip()
    assert "max-age=315360000" in got["cache"] and "immutable" in got["cache"]
    assert (tmp_path / "var" / "static" / "site" / f"{name}.gz").exists()  # compressed too

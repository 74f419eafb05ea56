"""The policy core imports no Django: it runs without settings or a database."""

import subprocess
import sys

CODE = """
import sys, pkgutil, importlib
import hippocratic.policy as core
for module in pkgutil.iter_modules(core.__path__):
    importlib.import_module(f"hippocratic.policy.{module.name}")
leaked = sorted(m for m in sys.modules if m == "django" or m.startswith("django."))
print(",".join(leaked))
"""


def test_policy_core_imports_no_django():
    result = subprocess.run(
        [sys.executable, "-c", CODE], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.strip() == ""

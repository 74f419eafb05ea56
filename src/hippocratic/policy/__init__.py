"""The policy core: models, loader, linter, renderer and Fides export.

Plain Python with no Django imports (a test enforces this), so the core can be
checked, rendered and reasoned about without a database or a web server.
"""

from hippocratic.policy.errors import PolicyError, PolicyIssue, Severity
from hippocratic.policy.loader import LoadedPolicy, load_policy, load_policy_text
from hippocratic.policy.models import Policy

__all__ = [
    "LoadedPolicy",
    "Policy",
    "PolicyError",
    "PolicyIssue",
    "Severity",
    "load_policy",
    "load_policy_text",
]

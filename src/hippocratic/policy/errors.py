"""Problems found in a policy file, in a form a person can act on."""

from dataclasses import dataclass
from enum import StrEnum


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, order=True)
class PolicyIssue:
    """One problem, located at `file:line:column` and a dotted key path.

    `line` and `column` are 1-based, as editors count them.
    """

    file: str
    line: int
    column: int
    path: str
    problem: str
    expected: str = ""
    severity: Severity = Severity.ERROR
    # The promise ID the problem concerns, where there is one (e.g. "PAY-2").
    promise: str = ""
    # The linter rule that found it (e.g. "unenforced-promise"); "" for a file that
    # cannot be read as a policy at all.
    rule: str = ""

    def __str__(self) -> str:
        text = f"{self.file}:{self.line}:{self.column}: {self.path}: {self.problem}"
        if self.expected:
            text += f", expected {self.expected}"
        if self.severity is Severity.WARNING:
            text = f"{text} (warning)"
        if self.rule:
            text = f"{text} [{self.rule}]"
        return text


MAX_REPORTED = 50


class PolicyError(Exception):
    """A policy file that cannot be used; `issues` holds the errors found, the first
    MAX_REPORTED of them and then one saying how many more there are. `more` counts
    errors found but not put in words (the caller stopped describing them)."""

    def __init__(self, issues: list[PolicyIssue], *, more: int = 0):
        issues = sorted(issues)
        hidden = max(len(issues) - MAX_REPORTED, 0) + more
        if hidden:
            issues = issues[:MAX_REPORTED]
            last = issues[-1]
            more_issue = PolicyIssue(
                last.file, last.line, last.column, "(document)", f"… and {hidden:,} more",
            )  # fmt: skip
            issues = [*issues, more_issue]
        self.issues = issues
        super().__init__("\n".join(str(issue) for issue in self.issues))

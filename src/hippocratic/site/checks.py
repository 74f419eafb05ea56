"""System checks: the site does not start on an invalid policy file, nor in
production on a promise this build does not enforce.

Where HIPPOCRATIC_STRICT_PROMISES is on (production's default), a promise the
policy makes that no app of this build enforces is an error, and the site
refuses to start; elsewhere (the demo, the tests) it is a warning.
"""

from django.conf import settings
from django.core import checks
from django.db import DatabaseError

from hippocratic.capabilities import enforced
from hippocratic.enforcement.conformance import purposes_needed, stored_beyond_policy
from hippocratic.policy import PolicyError
from hippocratic.policy.linter import rule_code, unenforced_promise
from hippocratic.provider import current_policy, loaded_policy
from hippocratic.versions import publishing


@checks.register("hippocratic")
def policy_file_is_valid(app_configs, **kwargs):

    try:
        loaded_policy()
    except PolicyError as exc:
        return [
            checks.Error(
                str(issue), hint="Run: hippocratic policy check FILE", id="hippocratic.E001"
            )
            for issue in exc.issues
        ]
    return []


@checks.register("hippocratic")
def stored_data_is_allowed(app_configs, **kwargs):
    """A database that holds data the policy does not collect (the profile was
    switched, say from Ducallier's to Dracon's) is named at start-up, with the way out."""

    try:
        findings = stored_beyond_policy(current_policy())
    except PolicyError:
        return []
    if not findings:
        return []
    return [
        checks.Warning(
            "The database holds data this policy does not allow: "
            + "; ".join(str(f) for f in findings),
            hint="See it all with `hippocratic policy conformance`, and remove it with "
            "`hippocratic retention` (a dry run) then `hippocratic retention --for-real`.",
            id="hippocratic.W003",
        )
    ]


@checks.register("hippocratic")
def promises_are_enforced(app_configs, **kwargs):

    try:
        loaded = loaded_policy()
    except PolicyError:
        return []  # reported by policy_file_is_valid
    unkept = [issue.promise for issue in unenforced_promise(loaded, enforced())]
    if not unkept:
        return []
    strict = settings.HIPPOCRATIC_STRICT_PROMISES
    kind, code = (checks.Error, "E002") if strict else (checks.Warning, "W002")
    return [
        kind(
            f"{loaded.source.file} promises {', '.join(unkept)}, which this version of "
            f"Hippocratic does not enforce; the published page leaves them out "
            f"[{rule_code(unenforced_promise)}]",
            hint="Take them out of the policy file, or run a version that enforces them "
            "(`hippocratic policy check FILE` shows where each is promised).",
            id=f"hippocratic.{code}",
        )
    ]


@checks.register("hippocratic")
def policy_file_is_published(app_configs, **kwargs):
    """A policy file edited in place, not published, is named at start-up (POL-4)."""

    try:
        differs = publishing.file_differs()
    except DatabaseError:  # not migrated yet
        return []
    if not differs:
        return []
    return [
        checks.Warning(
            "The policy file differs from the newest published version: the site goes on "
            "enforcing the published version in force, not the file.",
            hint="Publish it: `hippocratic policy publish` (a material change takes effect "
            "after the notice period the policy promises).",
            id="hippocratic.W004",
        )
    ]


@checks.register("hippocratic")
def purposes_are_declared(app_configs, **kwargs):
    """An app this policy switches on that needs a purpose the policy does not declare
    would be refused at its first use (purpose_not_declared): say so at start-up."""
    try:
        findings = purposes_needed(current_policy())
    except PolicyError:
        return []  # reported by policy_file_is_valid
    strict = settings.HIPPOCRATIC_STRICT_PROMISES
    kind, code = (checks.Error, "E003") if strict else (checks.Warning, "W005")
    return [
        kind(
            str(finding),
            hint="Declare the purpose in the policy, or switch the app off there.",
            id=f"hippocratic.{code}",
        )
        for finding in findings
    ]

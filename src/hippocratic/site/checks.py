"""A system check: the site does not start on an invalid policy file."""

from django.core import checks

from hippocratic.policy import PolicyError


@checks.register("hippocratic")
def policy_file_is_valid(app_configs, **kwargs):
    from hippocratic.provider import loaded_policy

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

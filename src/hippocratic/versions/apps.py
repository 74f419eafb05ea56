from django.apps import AppConfig


class VersionsConfig(AppConfig):
    """Which policy is in force: every published file, kept byte for byte (POL-4), the
    newest whose time has come enforced, a material change only after the notice
    period (POL-3). The provider's own state, on the provider's floor: it reaches no
    customer and sends no mail (a `version_published` signal tells who does)."""

    name = "hippocratic.versions"
    label = "versions"
    verbose_name = "Policy versions"
    promises = ("POL-3", "POL-4")
    purposes = ()
    optional_purposes = ()

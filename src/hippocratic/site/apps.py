from django.apps import AppConfig


class SiteConfig(AppConfig):
    name = "hippocratic.site"
    label = "site"
    verbose_name = "Web site"

    def ready(self):
        from hippocratic import provider  # noqa: F401 (connects its setting_changed receiver)
        from hippocratic.site import checks  # noqa: F401 (registers the policy check)

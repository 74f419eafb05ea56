from django.apps import AppConfig


class SiteConfig(AppConfig):
    name = "hippocratic.site"
    label = "site"
    verbose_name = "Web site"

    def ready(self):
        from hippocratic.site import checks, provider  # noqa: F401 (registers checks, receivers)

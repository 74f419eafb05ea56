from django.apps import AppConfig, apps

from hippocratic.purposes import Purpose

THIRD_PARTY_NAMES = {"axes": "Logins (attempts and lock-outs)",
                     "django_tasks_database": "Background work (the task queue)"}  # fmt: skip


class SiteConfig(AppConfig):
    name = "hippocratic.site"
    label = "site"
    verbose_name = "Web site"
    # Public pages (VIS-1, VIS-8), preferences (CK-1), the policy page and its checks.
    # DIS-7: no page loads anything from anyone else (the Content-Security-Policy).
    promises = ("VIS-1", "VIS-8", "CK-1", "POL-1", "POL-2", "POL-5", "DIS-7")
    cookies = ("csrftoken", "preferences")
    # The purposes its code asks the gateway for: always, and only where the policy
    # declares them (provider.declares). Conformance reads Purpose.X in the source.
    purposes = (Purpose.SERVICE,)
    optional_purposes = ()

    def ready(self):
        from hippocratic import provider  # noqa: F401 (connects its receivers)
        from hippocratic.site import checks  # noqa: F401 (registers the policy check)
        from hippocratic.site.tasks import notify_of
        from hippocratic.versions.signals import version_published

        version_published.connect(notify_of, dispatch_uid="site.policy_notices")
        # Other projects' apps in the staff pages' index, named as staff know them
        # (their own names are "Axes" and "Tasks Database Backend").
        for label, name in THIRD_PARTY_NAMES.items():
            if label in apps.app_configs:
                apps.get_app_config(label).verbose_name = name

from django.apps import AppConfig

from hippocratic.purposes import Purpose


class AccountsConfig(AppConfig):
    name = "hippocratic.accounts"
    label = "accounts"
    verbose_name = "Customer accounts"
    # What this app's code keeps (hippocratic.capabilities).
    promises = (
        "ACC-1", "ACC-2", "ACC-3", "ACC-5", "ACC-6", "ACC-7", "ACC-8", "ACC-9",
        "CK-3", "CK-4", "SEC-1", "SEC-2", "SEC-3", "SEC-4",
    )  # fmt: skip
    cookies = ("sessionid", "remember_me")
    # The purposes its code asks the gateway for: always, and only where the policy
    # declares them (provider.declares). Conformance reads Purpose.X in the source.
    purposes = (Purpose.SERVICE, Purpose.AUTHENTICATION)
    optional_purposes = (Purpose.MARKETING_EMAIL,)

    def ready(self):
        from hippocratic.accounts import customer_log
        from hippocratic.accounts.models import AccountEvent

        customer_log.EVENT_KINDS.register("accounts", AccountEvent.Kind)

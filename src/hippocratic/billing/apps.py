from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "hippocratic.billing"
    label = "billing"
    verbose_name = "Billing"
    promises = ("PAY-1", "PAY-2", "PAY-3")
    # Dormant where the policy collects no payment data (PAY-3).
    policy_categories = ("user.financial", "user.payment")

    def ready(self):
        from hippocratic.billing import logs

        logs.install()

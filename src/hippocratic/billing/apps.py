from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "hippocratic.billing"
    label = "billing"
    verbose_name = "Billing"

from django.apps import AppConfig


class HostedConfig(AppConfig):
    """Ducallier's online applications: a customer's organisation keeps its business
    records here. Dormant where the policy collects no hosted business data."""

    name = "hippocratic.hosted"
    label = "hosted"
    verbose_name = "Hosted data"
    policy_categories = ("user.content.private.business_data",)
    promises = ("COM-5",)

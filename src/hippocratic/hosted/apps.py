from django.apps import AppConfig

from hippocratic.purposes import Purpose


class HostedConfig(AppConfig):
    """Ducallier's online applications: a customer's organisation keeps its business
    records here, and may connect an integrated service. Dormant where the policy
    collects no hosted business data."""

    name = "hippocratic.hosted"
    label = "hosted"
    verbose_name = "Hosted data"
    policy_categories = ("user.content.private.business_data",)
    promises = ("COM-5", "DIS-5")
    # The purposes its code asks the gateway for: always, and only where the policy
    # declares them (provider.declares). Conformance reads Purpose.X in the source.
    purposes = (Purpose.SERVICE,)
    optional_purposes = (Purpose.PAYMENT,)  # whether an integrated customer has paid (DIS-5)

    def ready(self):
        from hippocratic.disclosure import services as disclosure
        from hippocratic.hosted.integrations import business_data, integrated_customers
        from hippocratic.hosted.models import BUSINESS_DATA
        from hippocratic.policy.models import RecipientKind

        disclosure.CUSTOMERS_OF.register(RecipientKind.INTEGRATION_PARTNER, integrated_customers)
        disclosure.PACKAGE_PARTS.register(BUSINESS_DATA, business_data)

from django.apps import AppConfig

from hippocratic.purposes import Purpose


class SalesConfig(AppConfig):
    name = "hippocratic.sales"
    label = "sales"
    verbose_name = "Orders from the products' landing pages"
    promises = ("CK-2", "CK-5", "DIS-4")
    cookies = ("order_form", "affiliate")
    # The purposes its code asks the gateway for: always, and only where the policy
    # declares them (provider.declares). Conformance reads Purpose.X in the source.
    purposes = (Purpose.SERVICE,)
    optional_purposes = (Purpose.SALES, Purpose.PAYMENT)  # paying joint customers (DIS-4)

    def ready(self):
        from hippocratic.accounts.signals import signed_up
        from hippocratic.sales.affiliates import credit

        signed_up.connect(credit, dispatch_uid="sales.credit_affiliate")
        # A referral partner receives data of its joint customers only (DIS-4).
        from hippocratic.disclosure import services as disclosure
        from hippocratic.policy.models import RecipientKind
        from hippocratic.sales.affiliates import joint_customers

        disclosure.CUSTOMERS_OF.register(RecipientKind.REFERRAL_PARTNER, joint_customers)

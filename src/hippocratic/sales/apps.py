from django.apps import AppConfig


class SalesConfig(AppConfig):
    name = "hippocratic.sales"
    label = "sales"
    verbose_name = "Orders from the products' landing pages"
    promises = ("CK-2", "CK-5")
    cookies = ("order_form", "affiliate")

    def ready(self):
        from hippocratic.accounts.signals import signed_up
        from hippocratic.sales.affiliates import credit

        signed_up.connect(credit, dispatch_uid="sales.credit_affiliate")

from django.apps import AppConfig


class SalesConfig(AppConfig):
    name = "hippocratic.sales"
    label = "sales"
    verbose_name = "Orders from the products' landing pages"
    promises = ("CK-2",)
    cookies = ("order_form",)

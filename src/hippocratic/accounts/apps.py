from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "hippocratic.accounts"
    label = "accounts"
    verbose_name = "Customer accounts"

from django.apps import AppConfig


class MessagingConfig(AppConfig):
    name = "hippocratic.messaging"
    label = "messaging"
    verbose_name = "Mail to customers"
    promises = ("MSG-1", "MSG-2", "MSG-3", "MSG-4", "MSG-5", "MSG-6")

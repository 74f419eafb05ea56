from django.apps import AppConfig


class TrackingConfig(AppConfig):
    name = "hippocratic.tracking"
    verbose_name = "Visitor logging and traffic analytics"

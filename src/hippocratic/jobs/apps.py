from django.apps import AppConfig


class JobsConfig(AppConfig):
    name = "hippocratic.jobs"
    label = "jobs"
    verbose_name = "Background jobs"

from django.apps import AppConfig


class EnforcementConfig(AppConfig):
    name = "hippocratic.enforcement"
    label = "enforcement"
    verbose_name = "Policy enforcement and audit"

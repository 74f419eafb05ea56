from django.apps import AppConfig


class JobsConfig(AppConfig):
    name = "hippocratic.jobs"
    label = "jobs"
    verbose_name = "Background jobs"
    # The purposes its code asks the gateway for: always, and only where the policy
    # declares them (provider.declares). Conformance reads Purpose.X in the source.
    purposes = ()
    optional_purposes = ()

from django.apps import AppConfig


class TrackingConfig(AppConfig):
    name = "hippocratic.tracking"
    verbose_name = "Visitor logging and traffic analytics"
    promises = (
        "VIS-2", "VIS-3", "VIS-4", "VIS-5", "VIS-6", "VIS-7", "VIS-9", "VIS-10", "VIS-11",
        "VIS-12",
    )  # fmt: skip
    # The purposes its code asks the gateway for: always, and only where the policy
    # declares them (provider.declares). Conformance reads Purpose.X in the source.
    purposes = ()
    optional_purposes = ()

from django.apps import AppConfig

from hippocratic.purposes import Purpose


class EnforcementConfig(AppConfig):
    name = "hippocratic.enforcement"
    label = "enforcement"
    verbose_name = "Policy enforcement and audit"
    # The gateway (purposes, ACC-4), the audit log (SEC-5), the cookie guard (CK-6),
    # the sharing path's check of opt-outs (DIS-3).
    promises = ("ACC-4", "SEC-5", "CK-6", "DIS-3")
    # The purposes its code asks the gateway for: always, and only where the policy
    # declares them (provider.declares). Conformance reads Purpose.X in the source.
    purposes = (Purpose.SERVICE,)
    optional_purposes = (Purpose.LEGAL_OBLIGATION,)

    def ready(self):
        from django.db.models import Field, ForeignObject

        from hippocratic.enforcement.lookups import Any, RelatedAny

        Field.register_lookup(Any)
        ForeignObject.register_lookup(RelatedAny)

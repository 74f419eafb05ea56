from django.apps import AppConfig


class EnforcementConfig(AppConfig):
    name = "hippocratic.enforcement"
    label = "enforcement"
    verbose_name = "Policy enforcement and audit"
    # The gateway (purposes, ACC-4), the audit chain (SEC-5), the cookie guard (CK-6),
    # the sharing path's check of opt-outs (DIS-3).
    promises = ("ACC-4", "SEC-5", "CK-6", "DIS-3")

    def ready(self):
        from django.db.models import Field, ForeignObject

        from hippocratic.enforcement.lookups import Any, RelatedAny

        Field.register_lookup(Any)
        ForeignObject.register_lookup(RelatedAny)

from django.apps import AppConfig

from hippocratic.purposes import Purpose


class DisclosureConfig(AppConfig):
    name = "hippocratic.disclosure"
    label = "disclosure"
    verbose_name = "Disclosures"
    promises = ("DIS-1", "DIS-2", "DIS-8", "DIS-9")
    # The purposes its code asks the gateway for: always, and only where the policy
    # declares them (provider.declares). Conformance reads Purpose.X in the source.
    purposes = (Purpose.SERVICE,)
    optional_purposes = ()

    def ready(self):
        from hippocratic.accounts import own_data
        from hippocratic.disclosure import tasks
        from hippocratic.disclosure.services import held_customers, visible_to
        from hippocratic.disclosure.signals import customer_to_tell
        from hippocratic.enforcement import retention

        own_data.DISCLOSURE_SOURCES.register("disclosure", visible_to)
        retention.HOLDS.register("disclosure.preservation", held_customers)
        customer_to_tell.connect(tasks.on_customer_to_tell, dispatch_uid="disclosure.tell")

from django.apps import AppConfig

from hippocratic.purposes import Purpose


class CommunicationsConfig(AppConfig):
    name = "hippocratic.communications"
    label = "communications"
    verbose_name = "Communications"
    promises = ("COM-1", "COM-2", "COM-3", "COM-4")
    # The purposes its code asks the gateway for: always, and only where the policy
    # declares them (provider.declares). Conformance reads Purpose.X in the source.
    purposes = (Purpose.SERVICE,)
    optional_purposes = (Purpose.LEGAL_OBLIGATION,)

    def ready(self):
        from hippocratic.accounts import own_data
        from hippocratic.accounts.signals import erasing
        from hippocratic.communications import intake, mailbox, tasks
        from hippocratic.communications.mailbox import for_disclosure
        from hippocratic.communications.models import CONTENTS, StoredMessage
        from hippocratic.communications.signals import to_forward
        from hippocratic.disclosure import services as disclosure
        from hippocratic.messaging import inbound

        erasing.connect(intake.destroy_on_erasure, dispatch_uid="communications.crypto_erasure")
        # Contents leave only through the one way out, on the grounds the policy's
        # communications section names (COM-3, Engine.decide_share).
        disclosure.PACKAGE_PARTS.register(CONTENTS, for_disclosure)
        inbound.MAILBOXES.register("communications", intake.deliver)
        to_forward.connect(tasks.on_to_forward, dispatch_uid="communications.forward")
        own_data.OWN_ROWS.register(StoredMessage._meta.label, mailbox.owner_rows)

from django.apps import AppConfig


class CommunicationsConfig(AppConfig):
    name = "hippocratic.communications"
    label = "communications"
    verbose_name = "Communications"
    promises = ("COM-1", "COM-2", "COM-3", "COM-4")

    def ready(self):
        from hippocratic.accounts.signals import erasing
        from hippocratic.communications import intake
        from hippocratic.messaging import inbound

        erasing.connect(intake.destroy_on_erasure, dispatch_uid="communications.crypto_erasure")
        if intake.deliver not in inbound.MAILBOXES:
            inbound.MAILBOXES.append(intake.deliver)

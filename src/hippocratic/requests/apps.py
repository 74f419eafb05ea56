from django.apps import AppConfig

from hippocratic.purposes import Purpose


class RequestsConfig(AppConfig):
    name = "hippocratic.requests"
    label = "requests"
    verbose_name = "Requests and choices"
    promises = ("CH-1", "CH-2", "CH-3")
    # The purposes its code asks the gateway for: always, and only where the policy
    # declares them (provider.declares). Conformance reads Purpose.X in the source.
    purposes = ()
    optional_purposes = (Purpose.MARKETING_EMAIL,)

    def ready(self):
        from hippocratic.accounts import customer_log
        from hippocratic.accounts.signals import erasure_waits, request_done
        from hippocratic.requests import choices, ledger, tasks
        from hippocratic.requests.signals import mail_wanted

        customer_log.EVENT_KINDS.register("requests", choices.ChoiceEvent)
        request_done.connect(ledger.record_done, dispatch_uid="requests.record_done")
        erasure_waits.connect(ledger.record_erasure_waiting, dispatch_uid="requests.erasure_waits")
        mail_wanted.connect(tasks.on_mail_wanted, dispatch_uid="requests.mail")

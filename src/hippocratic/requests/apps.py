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
        from hippocratic.accounts.signals import request_done

        request_done.connect(_record, dispatch_uid="requests.record_done")


def _record(sender, *, customer_id, kind, channel, outcome, by, **kwargs):
    """A customer's request done as it was made, in the ledger (CH-3)."""
    from hippocratic.enforcement.actors import Actor
    from hippocratic.requests import ledger

    if customer_id is None:  # erased: the customer is no one now; the ledger notes it
        by = Actor.system("requests.ledger")
    with ledger.done_at_once(kind, channel, by=by, customer_id=customer_id) as work:
        work.outcome = outcome

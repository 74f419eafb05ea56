"""Stripe, behind the processor interface (PAY-1, DIS-6)."""

from hippocratic.billing.processors import (
    CardDeclined,
    CardDetails,
    CardToken,
    Charge,
    ChargeRequest,
    PaymentError,
    ProcessorUnavailable,
    Refund,
)


class StripeProcessor:
    """Stripe, through its official client (stripe-python's StripeClient).

    A card is set up for later charges as Stripe asks for subscriptions: a Customer
    object that holds nothing about the customer but the card, a PaymentMethod, and
    a SetupIntent confirmed off-session, so that a card Stripe refuses is refused at
    once. Our token is "cus_…/pm_…". The number crosses our server in memory only:
    Stripe's hosted fields are a third-party script, which no page here loads.

    `api_base` points the client elsewhere: the tests run it against a fake of
    Stripe's API on loopback. Stripe's client logs request bodies at DEBUG; the
    billing app's log filter (billing.logs) masks card numbers in them.
    """

    name = "stripe"

    def __init__(self, *, api_key: str, api_base: str | None = None):
        import stripe

        self._stripe = stripe
        addresses = {"api": api_base} if api_base else None
        self._client = stripe.StripeClient(api_key, base_addresses=addresses, max_network_retries=2)

    def _call(self, method, params, key: str | None = None, *, declined=CardDeclined):
        try:
            return method(params=params, options={"idempotency_key": key} if key else {})
        except self._stripe.CardError as error:
            raise declined(error.user_message or "The card was refused.", error.code) from None
        except self._stripe.InvalidRequestError as error:
            raise PaymentError(error.user_message or "The processor refused.", error.code) from None
        except self._stripe.StripeError as error:
            raise ProcessorUnavailable() from error

    def add_card(self, card: CardDetails, billing: dict[str, str]) -> CardToken:
        v1 = self._client.v1
        details = {k: v for k, v in billing.items() if v}
        method = self._call(v1.payment_methods.create, {
            "type": "card",
            "card": {"number": card.number, "exp_month": card.exp_month,
                     "exp_year": card.exp_year, "cvc": card.cvc},
            **({"billing_details": details} if details else {}),
        })  # fmt: skip
        customer = self._call(v1.customers.create, {"payment_method": method.id})
        self._call(v1.setup_intents.create, {
            "customer": customer.id, "payment_method": method.id, "confirm": True,
            "usage": "off_session", "payment_method_types": ["card"],
        })  # fmt: skip
        return CardToken(f"{customer.id}/{method.id}", method.card.brand, method.card.last4)

    def charge(self, request: ChargeRequest) -> Charge:
        customer, method = request.token.split("/", 1)
        intent = self._call(self._client.v1.payment_intents.create, {
            "amount": request.amount, "currency": request.currency.lower(),
            "customer": customer, "payment_method": method,
            "confirm": True, "off_session": True, "description": request.invoice_number,
            "payment_method_types": ["card"],
        }, request.idempotency_key)  # fmt: skip
        if intent.status != "succeeded":
            raise CardDeclined("The payment needs more steps than we can take.", intent.status)
        return Charge(intent.id, intent.amount, intent.currency)

    def refund(self, charge_reference: str, amount: int, idempotency_key: str) -> Refund:
        params = {"payment_intent": charge_reference, "amount": amount}
        done = self._call(self._client.v1.refunds.create, params, idempotency_key)
        return Refund(done.id, done.amount)

    def detach(self, token: str) -> None:
        customer, method = token.split("/", 1)
        try:
            self._client.v1.payment_methods.detach(method)
            self._client.v1.customers.delete(customer)
        except self._stripe.InvalidRequestError:
            pass  # already gone
        except self._stripe.StripeError as error:
            raise ProcessorUnavailable() from error

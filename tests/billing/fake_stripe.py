"""A fake of the parts of Stripe's API the adapter uses, on loopback.

Payment methods, customers, setup intents (where Stripe's declining test cards are
refused), payment intents (where 4000 0000 0000 0341 is), refunds and detaching,
form-encoded as Stripe's client sends them, answered in Stripe's shapes, including
its 402 card errors. Idempotency keys are honoured as Stripe honours them: the same
key gets the first answer again. Every request is kept in `requests`, with its
Idempotency-Key, for tests to see what left the system (DIS-6).
"""

import json
import secrets
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

from hippocratic.billing.processors import brand_of, luhn_valid

SETUP_DECLINES = {
    "4000000000000002": "card_declined", "4000000000009995": "insufficient_funds",
    "4000000000000069": "expired_card", "4000000000000127": "incorrect_cvc",
}  # fmt: skip
CHARGE_DECLINES = {"4000000000000341": "card_declined"}


def _id(prefix: str) -> str:
    """An object id of digits only: a test that looks for a name (ada) in what was sent
    must not find it by chance in a hex id."""
    return f"{prefix}{secrets.randbelow(10**16):016d}"


class FakeStripe:
    def __init__(self, api_key: str):
        self.api_key = api_key
        self.cards: dict[str, str] = {}  # payment method id -> number: the processor keeps it
        self.customers: dict[str, str] = {}  # customer id -> payment method id
        self.detached: set[str] = set()
        self.charges: dict[str, int] = {}  # payment intent id -> amount
        self.replies: dict[str, tuple[int, dict]] = {}  # idempotency key -> first answer
        self.requests: list[tuple[str, dict]] = []
        self.keys: list[str | None] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def do_POST(self):
                length = int(self.headers.get("Content-Length", 0))
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
                fake.requests.append((self.path, form))
                key = self.headers.get("Idempotency-Key")
                fake.keys.append(key)
                if self.headers.get("Authorization") != f"Bearer {fake.api_key}":
                    return self._send(401, _error("invalid_request_error", None, "Bad key"))
                if key and key in fake.replies and self.path == "/v1/payment_intents":
                    return self._send(*fake.replies[key])
                answer = fake.route(self.command, self.path, form)
                if key:
                    fake.replies[key] = answer
                return self._send(*answer)

            do_DELETE = do_POST

            def _send(self, status, body):
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.send_header("Request-Id", "req_fake")
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

    def route(self, method, path, form):
        parts = path.strip("/").split("/")
        if path == "/v1/payment_methods":
            return self.payment_method(form)
        if path == "/v1/customers":
            return self.customer(form)
        if path == "/v1/setup_intents":
            return self.setup_intent(form)
        if path == "/v1/payment_intents":
            return self.payment_intent(form)
        if path == "/v1/refunds":
            return self.refund(form)
        if len(parts) == 4 and parts[1] == "payment_methods" and parts[3] == "detach":
            self.detached.add(parts[2])
            return 200, {"id": parts[2], "object": "payment_method", "type": "card"}
        if method == "DELETE" and len(parts) == 3 and parts[1] == "customers":
            self.customers.pop(parts[2], None)
            return 200, {"id": parts[2], "object": "customer", "deleted": True}
        return 404, _error("invalid_request_error", None, "No such route")

    def customer(self, form):
        cus = _id("cus_")
        self.customers[cus] = form.get("payment_method", "")
        return 200, {"id": cus, "object": "customer"}

    def setup_intent(self, form):
        number = self.cards.get(form.get("payment_method", ""))
        if number is None:
            return 400, _error("invalid_request_error", "resource_missing", "No such PaymentMethod")
        if number in SETUP_DECLINES:
            return 402, _error("card_error", SETUP_DECLINES[number], "Your card was declined.")
        return 200, {"id": _id("seti_"), "object": "setup_intent",
                     "status": "succeeded"}  # fmt: skip

    def refund(self, form):
        amount = int(form["amount"])
        if self.charges.get(form.get("payment_intent", ""), 0) < amount:
            return 400, _error("invalid_request_error", "amount_too_large", "Too much.")
        return 200, {"id": _id("re_"), "object": "refund", "amount": amount}

    def payment_method(self, form):
        number = form.get("card[number]", "")
        if not luhn_valid(number):
            return 402, _error("card_error", "incorrect_number", "Your card number is incorrect.")
        pm = _id("pm_")
        self.cards[pm] = number
        card = {
            "brand": brand_of(number), "last4": number[-4:],
            "exp_month": int(form["card[exp_month]"]), "exp_year": int(form["card[exp_year]"]),
        }  # fmt: skip
        return 200, {"id": pm, "object": "payment_method", "type": "card", "card": card}

    def payment_intent(self, form):
        pm = form.get("payment_method", "")
        number = self.cards.get(pm)
        if number is None or pm in self.detached:
            return 400, _error("invalid_request_error", "resource_missing", "No such PaymentMethod")
        if number in CHARGE_DECLINES:
            return 402, _error("card_error", CHARGE_DECLINES[number], "Your card was declined.")
        pi = _id("pi_")
        self.charges[pi] = int(form["amount"])
        return 200, {
            "id": pi, "object": "payment_intent",
            "amount": int(form["amount"]), "currency": form["currency"], "status": "succeeded",
        }  # fmt: skip


def _error(kind, code, message):
    return {"error": {"type": kind, "code": code, "message": message}}

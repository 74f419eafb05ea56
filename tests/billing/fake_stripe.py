"""A fake of the parts of Stripe's API the adapter uses, on loopback.

POST /v1/payment_methods (a card) and POST /v1/payment_intents (a confirmed
charge), form-encoded as Stripe's client sends them, answered in Stripe's shapes,
including its 402 card errors for Stripe's declining test numbers.
"""

import json
import secrets
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

from hippocratic.billing.processors import brand_of, luhn_valid

DECLINES = {"4000000000000002": "card_declined", "4000000000009995": "insufficient_funds"}


class FakeStripe:
    def __init__(self, api_key: str):
        self.api_key = api_key
        self.cards: dict[str, str] = {}  # payment method id -> number: the processor keeps it
        self.requests: list[tuple[str, dict]] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def do_POST(self):
                length = int(self.headers.get("Content-Length", 0))
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
                fake.requests.append((self.path, form))
                if self.headers.get("Authorization") != f"Bearer {fake.api_key}":
                    return self._send(401, _error("invalid_request_error", None, "Bad key"))
                if self.path == "/v1/payment_methods":
                    return self._send(*fake.payment_method(form))
                if self.path == "/v1/payment_intents":
                    return self._send(*fake.payment_intent(form))
                return self._send(404, _error("invalid_request_error", None, "No such route"))

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

    def payment_method(self, form):
        number = form.get("card[number]", "")
        if not luhn_valid(number):
            return 402, _error("card_error", "incorrect_number", "Your card number is incorrect.")
        pm = "pm_" + secrets.token_hex(12)
        self.cards[pm] = number
        card = {
            "brand": brand_of(number), "last4": number[-4:],
            "exp_month": int(form["card[exp_month]"]), "exp_year": int(form["card[exp_year]"]),
        }  # fmt: skip
        return 200, {"id": pm, "object": "payment_method", "type": "card", "card": card}

    def payment_intent(self, form):
        number = self.cards.get(form.get("payment_method", ""))
        if number is None:
            return 400, _error("invalid_request_error", "resource_missing", "No such PaymentMethod")
        if number in DECLINES:
            return 402, _error("card_error", DECLINES[number], "Your card was declined.")
        return 200, {
            "id": "pi_" + secrets.token_hex(12), "object": "payment_intent",
            "amount": int(form["amount"]), "currency": form["currency"], "status": "succeeded",
        }  # fmt: skip


def _error(kind, code, message):
    return {"error": {"type": kind, "code": code, "message": message}}

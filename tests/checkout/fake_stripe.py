"""A small HTTP server on 127.0.0.1 that answers like Stripe's API, for the few calls we make.

It honours Idempotency-Key like Stripe (a replayed POST gets the first answer, nothing is done
twice) and can be told to misbehave: answer with one of Stripe's error statuses (see ERRORS),
hang past the client's timeout (after or before doing the work), drop the connection,
or answer 200 with a body that is not a PaymentIntent (an HTML page, an incomplete object). A
request with another secret key than sk_test_fake gets Stripe's 401.
"""

import hashlib
import hmac
import itertools
import json
import re
import socket
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

# Stripe's test payment methods (https://docs.stripe.com/testing), plus our simulated tokens.
SUCCEEDS = {"pm_card_visa", "pm_card_mastercard", "tok_success"}
DECLINES = {"pm_card_chargeDeclined", "pm_card_visa_chargeDeclined", "tok_decline"}
NEEDS_ACTION = {"pm_card_authenticationRequired", "tok_requires_action"}


# The error bodies Stripe answers with, by status (https://docs.stripe.com/api/errors).
ERRORS = {
    "400": {"type": "invalid_request_error", "code": "parameter_invalid_empty", "message": "bad"},
    "401": {"type": "invalid_request_error", "message": "Invalid API Key provided: sk_live_***"},
    "403": {
        "type": "invalid_request_error",
        "message": "The provided key does not have the required permissions.",
    },
    "404": {"type": "invalid_request_error", "code": "resource_missing", "message": "No such"},
    "409": {
        "type": "idempotency_error",
        "message": "There is currently another in-progress request using this Idempotent Key.",
    },
    "429": {"type": "invalid_request_error", "code": "rate_limit", "message": "Too many requests"},
    "500": {"type": "api_error", "message": "boom"},
}


@dataclass
class Fault:
    path: str  # a prefix of "METHOD /v1/..."
    kind: str  # a status of ERRORS | "hang_after" (work done, answer lost) | "hang_before" | "drop"
    times: int = 1
    seconds: float = 2.0


def unflatten(pairs) -> dict:
    """Stripe's form encoding (metadata[transaction_id]=...) back to nested dicts."""
    out: dict = {}
    for key, value in pairs:
        parts = re.findall(r"[^\[\]]+", key)
        node = out
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value
    return out


class FakeStripe:
    def __init__(self, port: int):
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.lock = threading.Lock()
        self.intents: dict[str, dict] = {}
        self.refunds: dict[str, dict] = {}
        self.idempotent: dict[str, tuple[int, dict]] = {}
        self.faults: list[Fault] = []
        self.delays: dict[str, float] = {}
        self.requests: list[str] = []
        self.ids = itertools.count(1)
        self.server: ThreadingHTTPServer | None = None

    # --- test controls ---
    def reset(self):
        with self.lock:
            self.intents.clear()
            self.refunds.clear()
            self.idempotent.clear()
            self.faults.clear()
            self.delays.clear()
            self.requests.clear()

    def fail(self, path: str, kind: str, times: int = 1, seconds: float = 2.0):
        self.faults.append(Fault(path, kind, times, seconds))

    def delay(self, path: str, seconds: float):
        self.delays[path] = seconds

    def set_status(self, intent_id: str, status: str):
        with self.lock:
            self.intents[intent_id]["status"] = status
            if status != "requires_action":
                self.intents[intent_id]["next_action"] = None

    def add_intent(self, *, amount: int, status: str, transaction_id: str = "") -> dict:
        """A payment made at Stripe that did not come through our checkout."""
        with self.lock:
            return self._new_intent(
                {
                    "amount": amount,
                    "currency": "eur",
                    "metadata": {"transaction_id": transaction_id},
                },
                status,
            )

    def calls(self, prefix: str) -> int:
        return sum(1 for r in self.requests if r.startswith(prefix))

    @property
    def charges(self) -> int:
        return len(self.intents)

    # --- server ---
    def start(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                fake.handle(self, "GET")

            def do_POST(self):
                fake.handle(self, "POST")

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self):
        if self.server:
            self.server.shutdown()
            self.server.server_close()

    def handle(self, request: BaseHTTPRequestHandler, method: str):
        parts = urlsplit(request.path)
        length = int(request.headers.get("Content-Length") or 0)
        form = unflatten(parse_qsl(request.rfile.read(length).decode())) if length else {}
        query = unflatten(parse_qsl(parts.query))
        route = f"{method} {parts.path}"
        self.requests.append(route)
        if request.headers.get("Authorization") != "Bearer sk_test_fake":
            return self.send(request, 401, {"error": ERRORS["401"]})
        fault = self._take_fault(route)
        if fault and fault.kind == "drop":
            request.connection.shutdown(socket.SHUT_RDWR)
            return None
        if fault and fault.kind in ERRORS:
            return self.send(request, int(fault.kind), {"error": ERRORS[fault.kind]})
        if fault and fault.kind == "garbage":  # a proxy's HTML page instead of Stripe's JSON
            return self.send_raw(request, 200, b"<html>502 Bad Gateway</html>", "text/html")
        if fault and fault.kind == "incomplete":  # JSON, but not a PaymentIntent
            return self.send(request, 200, {"object": "payment_intent"})
        if fault and fault.kind == "hang_before":
            time.sleep(fault.seconds)
            return self.send(request, 500, {"error": {"type": "api_error", "message": "late"}})
        with self.lock:  # a test may change the delays while a request is being served
            delays = list(self.delays.items())
        for prefix, seconds in delays:
            if route.startswith(prefix):
                time.sleep(seconds)
        key = request.headers.get("Idempotency-Key") if method == "POST" else None
        with self.lock:
            if key and key in self.idempotent:
                status, body = self.idempotent[key]
            else:
                status, body = self.route(method, parts.path, form, query)
                if key:
                    self.idempotent[key] = (status, body)
        if fault and fault.kind == "hang_after":
            time.sleep(fault.seconds)  # the work is done, but the client gives up waiting
        return self.send(request, status, body)

    def _take_fault(self, route: str) -> Fault | None:
        with self.lock:
            for fault in self.faults:
                if route.startswith(fault.path) and fault.times > 0:
                    fault.times -= 1
                    return fault
        return None

    def send(self, request, status: int, body: dict):
        self.send_raw(request, status, json.dumps(body).encode(), "application/json")

    def send_raw(self, request, status: int, data: bytes, content_type: str):
        try:
            request.send_response(status)
            request.send_header("Content-Type", content_type)
            request.send_header("Content-Length", str(len(data)))
            request.send_header("Request-Id", f"req_{next(self.ids)}")
            request.end_headers()
            request.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client timed out and left

    # --- the API (called with self.lock held) ---
    def _new_intent(self, form: dict, status: str) -> dict:
        intent_id = f"pi_fake{next(self.ids)}"
        intent = {
            "id": intent_id,
            "object": "payment_intent",
            "amount": int(form["amount"]),
            "currency": form.get("currency", "eur"),
            "status": status,
            "client_secret": f"{intent_id}_secret_fake",
            "metadata": form.get("metadata", {}),
            "payment_method": form.get("payment_method"),
            "next_action": {"type": "use_stripe_sdk"} if status == "requires_action" else None,
            "last_payment_error": None,
            "created": int(time.time()),
            "livemode": False,
        }
        self.intents[intent_id] = intent
        return intent

    def route(self, method: str, path: str, form: dict, query: dict) -> tuple[int, dict]:
        if method == "POST" and path == "/v1/payment_intents":
            pm = form.get("payment_method", "")
            if pm in DECLINES:
                intent = self._new_intent(form, "requires_payment_method")
                intent["last_payment_error"] = {
                    "code": "card_declined",
                    "message": "Your card was declined.",
                }
                return 402, {
                    "error": {
                        "type": "card_error",
                        "code": "card_declined",
                        "decline_code": "generic_decline",
                        "message": "Your card was declined.",
                        "payment_intent": intent,
                    }
                }
            if pm in NEEDS_ACTION:
                return 200, self._new_intent(form, "requires_action")
            if pm in SUCCEEDS:
                return 200, self._new_intent(form, "succeeded")
            return 400, {
                "error": {
                    "type": "invalid_request_error",
                    "code": "resource_missing",
                    "param": "payment_method",
                    "message": f"No such PaymentMethod: '{pm}'",
                }
            }
        if method == "GET" and path == "/v1/payment_intents/search":
            wanted = re.search(r"transaction_id'\]:'([^']*)'", query.get("query", ""))
            data = [
                i
                for i in self.intents.values()
                if wanted and i["metadata"].get("transaction_id") == wanted.group(1)
            ]
            return 200, {"object": "search_result", "data": data, "has_more": False, "url": path}
        if method == "GET" and path == "/v1/payment_intents":
            since = int(query.get("created", {}).get("gte", 0))
            data = [i for i in self.intents.values() if i["created"] >= since]
            return 200, {"object": "list", "data": data, "has_more": False, "url": path}
        match = re.fullmatch(r"/v1/payment_intents/(\w+)(/cancel)?", path)
        if match and match.group(1) not in self.intents and match.group(1) != "search":
            return 404, {
                "error": {
                    "type": "invalid_request_error",
                    "code": "resource_missing",
                    "param": "intent",
                    "message": f"No such payment_intent: '{match.group(1)}'",
                }
            }
        if match and match.group(1) in self.intents:
            intent = self.intents[match.group(1)]
            if match.group(2) and method == "POST":
                if intent["status"] == "succeeded":
                    return 400, {
                        "error": {"type": "invalid_request_error", "message": "already succeeded"}
                    }
                intent["status"] = "canceled"
                intent["next_action"] = None
            return 200, intent
        if method == "POST" and path == "/v1/refunds":
            intent = self.intents.get(form.get("payment_intent", ""))
            if intent is None or intent["status"] != "succeeded":
                return 400, {
                    "error": {"type": "invalid_request_error", "message": "not refundable"}
                }
            amount = int(form.get("amount", intent["amount"]))
            done = sum(
                r["amount"] for r in self.refunds.values() if r["payment_intent"] == intent["id"]
            )
            if done + amount > intent["amount"]:
                return 400, {
                    "error": {"type": "invalid_request_error", "message": "refund exceeds charge"}
                }
            refund = {
                "id": f"re_fake{next(self.ids)}",
                "object": "refund",
                "amount": amount,
                "payment_intent": intent["id"],
                "status": "succeeded",
            }
            self.refunds[refund["id"]] = refund
            return 200, refund
        return 404, {
            "error": {
                "type": "invalid_request_error",
                "message": f"Unrecognized request URL ({method}: {path})",
            }
        }


def sign_webhook(payload: bytes, secret: str, at: int | None = None) -> str:
    """The Stripe-Signature header Stripe would send for this payload."""
    at = at or int(time.time())
    signature = hmac.new(secret.encode(), f"{at}.".encode() + payload, hashlib.sha256).hexdigest()
    return f"t={at},v1={signature}"

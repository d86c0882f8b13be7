"""Payment gateways behind one small interface, chosen by settings.PAYMENT_GATEWAY.

Card data never reaches us (PCI DSS SAQ A): the browser hands Stripe the card and gives us a
payment method token; we only ever see that token and the PaymentIntent it paid.
"""

import logging
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from functools import cache

import stripe
from django.conf import settings

from grocery.money import from_cents, to_cents

logger = logging.getLogger(__name__)


class PaymentStatus:
    SUCCEEDED = "succeeded"
    DECLINED = "declined"  # the card said no: a final answer
    REQUIRES_ACTION = "requires_action"  # the customer must authenticate (3-D Secure)
    PROCESSING = "processing"  # the gateway has not decided yet
    CANCELED = "canceled"


@dataclass(frozen=True)
class ChargeRequest:
    reference: str  # our transaction id, stored in the gateway's metadata
    amount: Decimal
    currency: str
    payment_token: str
    idempotency_key: str


@dataclass(frozen=True)
class PaymentResult:
    status: str
    payment_id: str = ""
    client_secret: str = ""
    next_action: dict | None = None
    message: str = ""
    amount: Decimal | None = None
    currency: str = ""
    reference: str = ""


@dataclass(frozen=True)
class RefundResult:
    refund_id: str
    amount: Decimal


@dataclass(frozen=True)
class GatewayPayment:
    payment_id: str
    status: str
    amount: Decimal
    currency: str
    reference: str
    extra: dict = field(default_factory=dict)


class GatewayError(Exception):
    """The gateway gave no usable answer. Each kind names how a checkout that hit it failed."""

    failure_code = "gateway_error"


class GatewayUnavailable(GatewayError):
    """The gateway did not answer (after retries): network down, timeout, its 5xx or 429."""

    failure_code = "gateway_unavailable"


class GatewayMisconfigured(GatewayError):
    """The gateway refused us, not the payment: a wrong or rotated key, a missing permission,
    an idempotency key reused with other parameters. Staff must act; retrying cannot help."""

    failure_code = "gateway_misconfigured"


class PaymentRejected(GatewayError):
    """The gateway refused the request's data (an unknown or unusable PaymentMethod, an amount
    it will not take, an object it does not know): a final answer about this request."""

    failure_code = "payment_rejected"

    def __init__(self, message: str, *, code: str = ""):
        super().__init__(message)
        self.code = code


class CardDeclined(PaymentRejected):
    """The card said no (Stripe's 402): a decline, with the PaymentIntent it left behind."""

    failure_code = "declined"

    def __init__(self, message: str, *, payment_id: str = ""):
        super().__init__(message, code="card_declined")
        self.payment_id = payment_id


class Gateway:
    name = ""

    def charge(self, request: ChargeRequest) -> PaymentResult:
        raise NotImplementedError

    def charge_again(self, *, original_payment_id: str, request: ChargeRequest) -> PaymentResult:
        """A further charge, with the customer away, to what paid `original_payment_id`."""
        raise NotImplementedError

    def retrieve(self, payment_id: str) -> PaymentResult:
        raise NotImplementedError

    def find_payment(self, reference: str) -> PaymentResult | None:
        """The payment made for our transaction, if one reached the gateway."""
        raise NotImplementedError

    def cancel(self, payment_id: str) -> PaymentResult:
        raise NotImplementedError

    def refund(self, *, payment_id: str, amount: Decimal, idempotency_key: str) -> RefundResult:
        raise NotImplementedError

    def list_payments(self, since: datetime) -> list[GatewayPayment]:
        """Payments the gateway took since a moment, for finding charges we have no record of."""
        raise NotImplementedError

    def client_config(self) -> dict:
        raise NotImplementedError


class SimulatedGateway(Gateway):
    """No network. The test token decides, like Stripe's test cards; the payment id carries the
    outcome, so any process (web, worker) can retrieve it without shared state."""

    name = "simulated"
    OUTCOMES = {
        "tok_success": ("Succeeds", PaymentStatus.SUCCEEDED),
        "tok_decline": ("Card declined", PaymentStatus.DECLINED),
        "tok_requires_action": ("Needs authentication (3-D Secure)", PaymentStatus.REQUIRES_ACTION),
        "tok_slow": ("Slow bank: succeeds after a few seconds", PaymentStatus.SUCCEEDED),
    }

    def charge(self, request: ChargeRequest) -> PaymentResult:
        token = request.payment_token or "tok_success"
        if token not in self.OUTCOMES:
            return PaymentResult(
                status=PaymentStatus.DECLINED, message="Unknown test payment token."
            )
        if token == "tok_slow":  # noqa: S105 - a test token, not a secret
            time.sleep(settings.SIMULATED_SLOW_SECONDS)
        status = self.OUTCOMES[token][1]
        payment_id = f"sim_{status}_{request.reference}"
        return self._result(payment_id, request.amount, request.currency, request.reference)

    def charge_again(self, *, original_payment_id: str, request: ChargeRequest) -> PaymentResult:
        # The original's outcome decides, as its token did: a declined card stays declined.
        status = self._result(original_payment_id).status
        if status not in (PaymentStatus.SUCCEEDED, "confirmed"):
            return PaymentResult(status=PaymentStatus.DECLINED, message="Card declined.")
        return self._result(
            f"sim_succeeded_{request.idempotency_key.replace('_', '-')}",
            request.amount,
            request.currency,
            request.reference,
        )

    def _result(self, payment_id, amount=None, currency="", reference="") -> PaymentResult:
        status = payment_id.removeprefix("sim_").rsplit("_", 1)[0]  # references have no "_"
        if status == PaymentStatus.DECLINED:
            return PaymentResult(status=status, payment_id=payment_id, message="Card declined.")
        if status == PaymentStatus.REQUIRES_ACTION:
            return PaymentResult(
                status=status,
                payment_id=payment_id,
                client_secret=f"{payment_id}_secret_simulated",
                next_action={"type": "simulated_authentication"},
                reference=reference,
            )
        return PaymentResult(status=status, payment_id=payment_id, amount=amount, currency=currency)

    def retrieve(self, payment_id: str) -> PaymentResult:
        # The customer authenticated: what needed action now succeeds.
        if payment_id.startswith(f"sim_{PaymentStatus.REQUIRES_ACTION}_"):
            confirmed = payment_id.replace(PaymentStatus.REQUIRES_ACTION, "confirmed", 1)
            return PaymentResult(status=PaymentStatus.SUCCEEDED, payment_id=confirmed)
        if payment_id.startswith("sim_confirmed_"):
            return PaymentResult(status=PaymentStatus.SUCCEEDED, payment_id=payment_id)
        return self._result(payment_id)

    def find_payment(self, reference: str) -> PaymentResult | None:
        return None  # a simulated charge is decided in the same call that makes it

    def cancel(self, payment_id: str) -> PaymentResult:
        return PaymentResult(status=PaymentStatus.CANCELED, payment_id=payment_id)

    def refund(self, *, payment_id: str, amount: Decimal, idempotency_key: str) -> RefundResult:
        return RefundResult(refund_id=f"sim_re_{idempotency_key}", amount=amount)

    def list_payments(self, since: datetime) -> list[GatewayPayment]:
        return []

    def client_config(self) -> dict:
        return {
            "publishable_key": "",
            "test_outcomes": [
                {"token": token, "label": label} for token, (label, _) in self.OUTCOMES.items()
            ],
        }


@contextmanager
def _readable(what: str):
    """A 200 whose body is not the object we asked for says nothing about the payment: treat it
    like no answer (the caller frees the stock; reconciliation asks again later)."""
    try:
        yield
    except (KeyError, TypeError, AttributeError, ValueError, ArithmeticError) as exc:
        raise GatewayUnavailable(f"Stripe answered with an unreadable {what}: {exc!r}") from exc


def _plain(obj) -> dict:
    """The library's StripeObject as plain dicts (webhook payloads already are)."""
    return obj if isinstance(obj, dict) else obj.to_dict()


STRIPE_STATUS = {
    "succeeded": PaymentStatus.SUCCEEDED,
    "requires_action": PaymentStatus.REQUIRES_ACTION,
    "requires_confirmation": PaymentStatus.REQUIRES_ACTION,
    "processing": PaymentStatus.PROCESSING,
    "requires_capture": PaymentStatus.PROCESSING,
    # A PaymentIntent falls back to requires_payment_method when its card was declined.
    "requires_payment_method": PaymentStatus.DECLINED,
    "canceled": PaymentStatus.CANCELED,
}


class StripeGateway(Gateway):
    """Stripe PaymentIntents through the official library.

    Retries are ours (bounded, exponential backoff) and only on faults where Stripe did not give
    an answer: network errors, timeouts, 5xx, rate limits and 409 (a request with the same
    idempotency key is still running). Every POST carries an idempotency key, so a retry after a
    lost answer cannot charge twice. Every other StripeError becomes one of our GatewayErrors, so
    no caller ever sees the library's exceptions.
    """

    name = "stripe"

    def __init__(self):
        self.client = stripe.StripeClient(
            settings.STRIPE_SECRET_KEY,
            base_addresses={"api": settings.STRIPE_API_BASE} if settings.STRIPE_API_BASE else None,
            max_network_retries=0,
            http_client=stripe.RequestsClient(timeout=settings.STRIPE_TIMEOUT_SECONDS),
        )

    def _call(self, what: str, fn, *args, **kwargs):
        attempts = settings.STRIPE_MAX_RETRIES + 1
        for attempt in range(attempts):
            try:
                return fn(*args, **kwargs)
            except (stripe.APIConnectionError, stripe.RateLimitError) as exc:
                fault = exc
            except stripe.CardError as exc:
                intent = _plain(getattr(exc.error, "payment_intent", None) or {})
                raise CardDeclined(
                    exc.user_message or "Card declined.", payment_id=intent.get("id", "")
                ) from exc
            except (
                stripe.AuthenticationError,
                stripe.PermissionError,
                stripe.IdempotencyError,
            ) as exc:
                logger.error("Stripe %s refused our credentials or request: %s", what, exc)
                raise GatewayMisconfigured(f"Stripe {what}: {exc.user_message or exc}") from exc
            except stripe.StripeError as exc:
                status = exc.http_status or 500
                # A 2xx here is a body that was not Stripe's JSON (a proxy's page): no answer.
                if 400 <= status < 500 and status != 409:
                    raise PaymentRejected(
                        exc.user_message or str(exc) or f"Stripe refused the {what}.",
                        code=exc.code or "",
                    ) from exc
                fault = exc
            if attempt + 1 < attempts:
                delay = settings.STRIPE_RETRY_BASE_SECONDS * 2**attempt
                logger.warning("Stripe %s failed (%s); retry in %.2fs", what, fault, delay)
                time.sleep(delay)
        raise GatewayUnavailable(f"Stripe {what} failed after {attempts} attempts: {fault}")

    @staticmethod
    def result_of(intent) -> PaymentResult:
        with _readable("PaymentIntent"):
            return StripeGateway._result_of(_plain(intent))

    @staticmethod
    def _result_of(intent: dict) -> PaymentResult:
        status = STRIPE_STATUS.get(intent["status"], PaymentStatus.PROCESSING)
        error = intent.get("last_payment_error") or {}
        return PaymentResult(
            status=status,
            payment_id=intent["id"],
            client_secret=intent.get("client_secret") or "",
            next_action=intent.get("next_action"),
            message=error.get("message", "") if status == PaymentStatus.DECLINED else "",
            amount=from_cents(intent["amount"]),
            currency=intent["currency"].upper(),
            reference=(intent.get("metadata") or {}).get("transaction_id", ""),
        )

    def charge(self, request: ChargeRequest) -> PaymentResult:
        params = {
            "amount": to_cents(request.amount),
            "currency": request.currency.lower(),
            "payment_method": request.payment_token,
            "confirm": True,
            "metadata": {"transaction_id": request.reference},
            # Cards only, no redirects: the PWA finishes 3-D Secure in place with Stripe.js.
            "automatic_payment_methods": {"enabled": True, "allow_redirects": "never"},
        }
        options = {"idempotency_key": request.idempotency_key}
        try:
            intent = self._call("charge", self.client.v1.payment_intents.create, params, options)
        except CardDeclined as exc:
            return PaymentResult(
                status=PaymentStatus.DECLINED, payment_id=exc.payment_id, message=str(exc)
            )
        return self.result_of(intent)

    def charge_again(self, *, original_payment_id: str, request: ChargeRequest) -> PaymentResult:
        """An off-session PaymentIntent on the card that paid the original. Stripe lets a card be
        used again only when it is attached to a Customer; a guest's card is not, so Stripe
        refuses and the caller tells staff to write the items off or take payment at a till."""
        original = _plain(
            self._call("retrieve", self.client.v1.payment_intents.retrieve, original_payment_id)
        )
        with _readable("PaymentIntent"):
            method = original["payment_method"]
            method = method["id"] if isinstance(method, dict) else method
            customer = original.get("customer")
            customer = customer["id"] if isinstance(customer, dict) else customer
        if not method:
            raise PaymentRejected("The original payment has no card to charge again.")
        params = {
            "amount": to_cents(request.amount),
            "currency": request.currency.lower(),
            "payment_method": method,
            "off_session": True,
            "confirm": True,
            "metadata": {"transaction_id": request.reference, "purpose": "exit_audit"},
        }
        if customer:
            params["customer"] = customer
        options = {"idempotency_key": request.idempotency_key}
        try:
            intent = self._call("charge", self.client.v1.payment_intents.create, params, options)
        except CardDeclined as exc:
            return PaymentResult(
                status=PaymentStatus.DECLINED, payment_id=exc.payment_id, message=str(exc)
            )
        return self.result_of(intent)

    def retrieve(self, payment_id: str) -> PaymentResult:
        return self.result_of(
            self._call("retrieve", self.client.v1.payment_intents.retrieve, payment_id)
        )

    def find_payment(self, reference: str) -> PaymentResult | None:
        found = self._call(
            "search",
            self.client.v1.payment_intents.search,
            {"query": f"metadata['transaction_id']:'{reference}'"},
        )
        return self.result_of(found.data[0]) if found.data else None

    def cancel(self, payment_id: str) -> PaymentResult:
        return self.result_of(
            self._call("cancel", self.client.v1.payment_intents.cancel, payment_id)
        )

    def refund(self, *, payment_id: str, amount: Decimal, idempotency_key: str) -> RefundResult:
        refund = self._call(
            "refund",
            self.client.v1.refunds.create,
            {"payment_intent": payment_id, "amount": to_cents(amount)},
            {"idempotency_key": idempotency_key},
        )
        with _readable("Refund"):
            return RefundResult(refund_id=refund["id"], amount=from_cents(refund["amount"]))

    def list_payments(self, since: datetime) -> list[GatewayPayment]:
        page = self._call(
            "list",
            self.client.v1.payment_intents.list,
            {"created": {"gte": int(since.timestamp())}, "limit": 100},
        )
        with _readable("PaymentIntent list"):
            return self._payments(page)

    @staticmethod
    def _payments(page) -> list[GatewayPayment]:
        return [
            GatewayPayment(
                payment_id=intent["id"],
                status=STRIPE_STATUS.get(intent["status"], PaymentStatus.PROCESSING),
                amount=from_cents(intent["amount"]),
                currency=intent["currency"].upper(),
                reference=(intent.get("metadata") or {}).get("transaction_id", ""),
            )
            for intent in map(_plain, page.auto_paging_iter())
        ]

    def client_config(self) -> dict:
        return {"publishable_key": settings.STRIPE_PUBLISHABLE_KEY, "test_outcomes": []}


GATEWAYS = {"simulated": SimulatedGateway, "stripe": StripeGateway}


@cache
def _gateway(name: str, *config) -> Gateway:
    return GATEWAYS[name]()


def get_gateway() -> Gateway:
    """The configured gateway, built once per configuration (tests switch settings)."""
    return _gateway(
        settings.PAYMENT_GATEWAY,
        settings.STRIPE_API_BASE,
        settings.STRIPE_SECRET_KEY,
        settings.STRIPE_TIMEOUT_SECONDS,
    )

from django.utils.translation import gettext_lazy as _
from rest_framework import status

from grocery.errors import DomainError, NotFound


class UnknownProducts(DomainError):
    code = "unknown_product"
    status_code = status.HTTP_404_NOT_FOUND
    message = _("Unknown product.")


class ProductInactive(DomainError):
    code = "product_inactive"
    status_code = status.HTTP_409_CONFLICT
    message = _("A product is no longer sold.")


class InvalidQuantity(DomainError):
    code = "invalid_quantity"
    status_code = status.HTTP_400_BAD_REQUEST
    message = _("Invalid quantity.")


class EmptyCart(DomainError):
    code = "empty_cart"
    status_code = status.HTTP_400_BAD_REQUEST
    message = _("The cart is empty.")


class TotalMismatch(DomainError):
    code = "total_mismatch"
    status_code = status.HTTP_409_CONFLICT
    message = _("The total does not match the server's total.")


class NothingToPay(DomainError):
    code = "nothing_to_pay"
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    message = _("This basket costs nothing; there is nothing to check out.")


class InvalidWebhookEvent(DomainError):
    code = "invalid_event"
    status_code = status.HTTP_400_BAD_REQUEST
    message = _("The event is not a Stripe event this shop can read.")


class IdempotencyKeyReused(DomainError):
    code = "idempotency_key_reused"
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    message = _("This Idempotency-Key was already used with a different request.")


class OrderNotFound(NotFound):
    code = "transaction_not_found"
    message = _("No such transaction.")


class CartLineNotFound(NotFound):
    code = "cart_line_not_found"
    message = _("That product is not in the cart.")


class NotConfirmable(DomainError):
    code = "not_confirmable"
    status_code = status.HTTP_409_CONFLICT
    message = _("This transaction is not waiting for confirmation.")


class RefundNotAllowed(DomainError):
    code = "refund_not_allowed"
    status_code = status.HTTP_409_CONFLICT
    message = _("This refund is not possible.")


class PaymentUnavailable(DomainError):
    code = "payment_unavailable"
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    message = _("The payment service is not answering; nothing was charged. Please try again.")


class InvalidExitCode(NotFound):
    code = "invalid_exit_code"
    message = _("Not a valid exit code: not paid, refunded, expired or forged.")


class ExitCheckNotAllowed(DomainError):
    code = "exit_check_not_allowed"
    status_code = status.HTTP_409_CONFLICT
    message = _("This exit code is not waiting for that check.")


class AuditChargeFailed(DomainError):
    code = "audit_charge_failed"
    status_code = status.HTTP_402_PAYMENT_REQUIRED
    message = _(
        "The missing items could not be charged: write them off, or take payment at a till."
    )


class InvalidVoucher(DomainError):
    code = "invalid_voucher"
    status_code = status.HTTP_400_BAD_REQUEST
    message = _("This is not a deposit voucher of this shop.")


class VoucherOtherShop(DomainError):
    code = "voucher_other_shop"
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    message = _("This deposit voucher was printed by another shop.")


class VoucherRedeemed(DomainError):
    code = "voucher_redeemed"
    status_code = status.HTTP_409_CONFLICT
    message = _("This deposit voucher was already redeemed.")


class ReturnNotAllowed(DomainError):
    code = "return_not_allowed"
    status_code = status.HTTP_409_CONFLICT
    message = _("These lines cannot be returned.")


class CartInOtherStore(DomainError):
    """A cart belongs to the store it was started in; the customer empties it to change store."""

    code = "cart_in_other_store"
    status_code = status.HTTP_409_CONFLICT
    message = _("This cart belongs to another store.")


class CouponNotApplicable(DomainError):
    """Every code given that does not apply, each with its reason (checkout.coupons)."""

    code = "coupon_not_applicable"
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    message = _("This coupon code does not apply.")

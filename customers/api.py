"""HTTP for customer accounts and their points. Thin: parse, call one service or selector,
render. Sign-in, sign-up and password reset are CSRF-checked like every write of a signed-in
session (the PWA sends the csrftoken cookie back as X-CSRFToken), and throttled per address."""

from django.conf import settings
from django.http import HttpResponse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_serializer
from rest_framework import serializers, status
from rest_framework.authentication import SessionAuthentication
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from checkout.schema import ReceiptOutput
from customers import selectors
from customers.exports import get_customer_export
from customers.services import accounts
from customers.services.loyalty import points_value
from grocery.customer import cart_token_of
from grocery.money import json_money
from grocery.qr import CONTENT_TYPES, render_qr
from grocery.schema import ErrorSerializer
from grocery.throttles import AddressRateThrottle, WindowRateThrottle


class AccountRateThrottle(WindowRateThrottle):
    """Per address: guessing passwords or mailing reset links in bulk meets it quickly."""

    scope = "account"


ACCOUNT_THROTTLES = [AccountRateThrottle, AddressRateThrottle]


class IsCustomer(BasePermission):
    message = "Sign in with a customer account."

    def has_permission(self, request, view):
        return selectors.get_customer_of(request.user) is not None


class CsrfCheckedMixin:
    """DRF checks CSRF only once a session is signed in; signing in must be checked too, or a
    hostile page could sign a phone into the attacker's account (login CSRF)."""

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        SessionAuthentication().enforce_csrf(request)


class AccountOutput(serializers.Serializer):
    account_id = serializers.CharField(help_text="may be sent as the checkout's customer_id")
    email = serializers.EmailField()
    card_number = serializers.CharField(help_text="the loyalty card: EAN-13")
    points = serializers.IntegerField(help_text="the balance")
    points_value = serializers.FloatField(help_text="what the balance is worth at checkout")


def account_payload(customer) -> dict:
    balance = selectors.points_balance(customer)
    return {
        "account_id": str(customer.user_id),
        "email": customer.user.email,
        "card_number": customer.card_number,
        "points": balance,
        "points_value": json_money(points_value(max(balance, 0))),
    }


class CredentialsInput(serializers.Serializer):
    email = serializers.EmailField(max_length=150)
    password = serializers.CharField(max_length=128, trim_whitespace=False)


def errors(*statuses: int) -> dict:
    return {code: ErrorSerializer for code in statuses}


class SignUpApi(CsrfCheckedMixin, APIView):
    throttle_classes = ACCOUNT_THROTTLES

    @extend_schema(
        summary="Create a customer account and sign in (the device's cart and receipts join it)",
        request=CredentialsInput,
        responses={201: AccountOutput, **errors(400, 403, 409, 429)},
    )
    def post(self, request):
        given = CredentialsInput(data=request.data)
        given.is_valid(raise_exception=True)
        customer = accounts.sign_up(
            request=request._request, **given.validated_data, cart_token=cart_token_of(request)
        )
        return Response(account_payload(customer), status=status.HTTP_201_CREATED)


class SignInApi(CsrfCheckedMixin, APIView):
    throttle_classes = ACCOUNT_THROTTLES

    @extend_schema(
        summary="Sign in (the device's anonymous cart and receipts move to the account)",
        request=CredentialsInput,
        responses={200: AccountOutput, **errors(400, 403, 429)},
    )
    def post(self, request):
        given = CredentialsInput(data=request.data)
        given.is_valid(raise_exception=True)
        customer = accounts.sign_in(
            request=request._request, **given.validated_data, cart_token=cart_token_of(request)
        )
        return Response(account_payload(customer))


class SignOutApi(APIView):
    @extend_schema(summary="Sign out", request=None, responses={204: None, **errors(400, 403)})
    def post(self, request):
        # No body is expected; one that is not JSON is refused on parsing, as on every route.
        if request.data:
            raise serializers.ValidationError("Sign-out takes no body.")
        accounts.sign_out(request=request._request)
        return Response(status=status.HTTP_204_NO_CONTENT)


class AccountApi(CsrfCheckedMixin, APIView):
    permission_classes = [IsCustomer]

    @extend_schema_serializer(component_name="AccountDeleteInput")
    class DeleteInputSerializer(serializers.Serializer):
        password = serializers.CharField(
            max_length=128, trim_whitespace=False, help_text="the current password"
        )

    def get_throttles(self):
        # Deleting asks for the password: throttled like sign-in against guessing it.
        if self.request.method == "DELETE":
            return [throttle() for throttle in ACCOUNT_THROTTLES]
        return super().get_throttles()

    @extend_schema(
        summary="The signed-in customer: email, loyalty card, points",
        responses={200: AccountOutput, **errors(403)},
    )
    def get(self, request):
        return Response(account_payload(selectors.get_customer_of(request.user)))

    @extend_schema(
        summary="Delete the account and sign out: points are forfeited, receipts are kept for "
        "the shop's books with nothing that leads back to the customer",
        request=DeleteInputSerializer,
        responses={204: None, **errors(400, 403, 429)},
    )
    def delete(self, request):
        given = self.DeleteInputSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        accounts.delete_account(
            request=request._request,
            customer=selectors.get_customer_of(request.user),
            **given.validated_data,
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class ExportAccountOutput(serializers.Serializer):
    account_id = serializers.CharField()
    email = serializers.EmailField()
    first_name = serializers.CharField()
    last_name = serializers.CharField()
    date_joined = serializers.DateTimeField()
    last_login = serializers.DateTimeField(allow_null=True)
    card_number = serializers.CharField()


class ExportPointsEntryOutput(serializers.Serializer):
    kind = serializers.CharField()
    points = serializers.IntegerField()
    reason = serializers.CharField()
    transaction_id = serializers.CharField(allow_null=True)
    created_at = serializers.DateTimeField()


class ExportPointsOutput(serializers.Serializer):
    balance = serializers.IntegerField()
    entries = ExportPointsEntryOutput(many=True, help_text="the whole ledger, newest first")


class ExportOrderOutput(ReceiptOutput):
    customer_id = serializers.CharField(help_text="as the checkout sent it")
    payment_status = serializers.CharField()


class ExportCouponOutput(serializers.Serializer):
    code = serializers.CharField()
    transaction_id = serializers.CharField()
    created_at = serializers.DateTimeField()


class ExportCartLineOutput(serializers.Serializer):
    product_id = serializers.CharField()
    name = serializers.CharField()
    quantity = serializers.FloatField()
    price_when_added = serializers.FloatField()
    added_at = serializers.DateTimeField()


class ExportCartOutput(serializers.Serializer):
    store = serializers.CharField()
    updated_at = serializers.DateTimeField()
    lines = ExportCartLineOutput(many=True)


class ExportSignInOutput(serializers.Serializer):
    at = serializers.DateTimeField()
    signed_out_at = serializers.DateTimeField(allow_null=True)
    ip_address = serializers.IPAddressField(allow_null=True)
    user_agent = serializers.CharField()


class ExportOutput(serializers.Serializer):
    exported_at = serializers.DateTimeField()
    account = ExportAccountOutput()
    points = ExportPointsOutput()
    orders = ExportOrderOutput(many=True, help_text="receipts: lines, totals, VAT, payment")
    coupon_redemptions = ExportCouponOutput(many=True)
    carts = ExportCartOutput(many=True)
    sign_ins = ExportSignInOutput(many=True)


class AccountExportApi(APIView):
    permission_classes = [IsCustomer]

    @extend_schema(
        summary="Download everything the shop holds about the signed-in customer (JSON)",
        responses={200: ExportOutput, **errors(403)},
    )
    def get(self, request):
        export = get_customer_export(selectors.get_customer_of(request.user))
        filename = f"grocery-account-{timezone.localdate().isoformat()}.json"
        return Response(
            export, headers={"Content-Disposition": f'attachment; filename="{filename}"'}
        )


class CardQrApi(APIView):
    """The loyalty card as a QR for the till or the staff screen: it encodes the bare card
    number, which the checkout's customer_id takes as it is (customers.cards)."""

    permission_classes = [IsCustomer]

    @extend_schema(
        operation_id="account_card_qr",
        summary="The signed-in customer's loyalty card number as a QR (SVG)",
        responses={(200, "image/svg+xml"): OpenApiTypes.STR, **errors(403)},
    )
    def get(self, request):
        number = selectors.get_customer_of(request.user).card_number
        response = HttpResponse(render_qr(number, "svg"), content_type=CONTENT_TYPES["svg"])
        # It names an account: no shared cache may keep it, nor the phone once signed out.
        response["Cache-Control"] = "private, no-store"
        return response


class PointsEntryOutput(serializers.Serializer):
    kind = serializers.CharField()
    points = serializers.IntegerField()
    reason = serializers.CharField()
    transaction_id = serializers.CharField(allow_null=True)
    created_at = serializers.DateTimeField()


class PointsOutput(serializers.Serializer):
    points = serializers.IntegerField()
    entries = PointsEntryOutput(many=True)


class PointsApi(APIView):
    permission_classes = [IsCustomer]

    @extend_schema(
        summary="The signed-in customer's points: balance and latest ledger entries",
        responses={200: PointsOutput, **errors(403)},
    )
    def get(self, request):
        customer = selectors.get_customer_of(request.user)
        return Response(
            {
                "points": selectors.points_balance(customer),
                "entries": [
                    {
                        "kind": entry.kind,
                        "points": entry.points,
                        "reason": entry.reason,
                        "transaction_id": entry.order.transaction_id if entry.order else None,
                        "created_at": entry.created_at,
                    }
                    for entry in selectors.list_points(customer)
                ],
            }
        )


class PasswordResetApi(CsrfCheckedMixin, APIView):
    throttle_classes = ACCOUNT_THROTTLES

    @extend_schema_serializer(component_name="PasswordResetInput")
    class InputSerializer(serializers.Serializer):
        email = serializers.EmailField(max_length=150)

    @extend_schema(
        summary="Mail a password reset link (the same answer whether the email has an account)",
        request=InputSerializer,
        responses={202: None, **errors(400, 403, 429)},
    )
    def post(self, request):
        given = self.InputSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        accounts.request_password_reset(
            email=given.validated_data["email"],
            reset_url=f"{settings.PUBLIC_BASE_URL}/account/reset-password",
        )
        return Response(status=status.HTTP_202_ACCEPTED)


class PasswordResetConfirmApi(CsrfCheckedMixin, APIView):
    throttle_classes = ACCOUNT_THROTTLES

    @extend_schema_serializer(component_name="PasswordResetConfirmInput")
    class InputSerializer(serializers.Serializer):
        uid = serializers.CharField(max_length=64)
        token = serializers.CharField(max_length=128)
        password = serializers.CharField(max_length=128, trim_whitespace=False)

    @extend_schema(
        summary="Choose a new password with the link's uid and token (the link works once)",
        request=InputSerializer,
        responses={204: None, **errors(400, 403, 429)},
    )
    def post(self, request):
        given = self.InputSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        accounts.reset_password(**given.validated_data)
        return Response(status=status.HTTP_204_NO_CONTENT)

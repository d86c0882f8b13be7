import re

from django.conf import settings
from django.http import HttpResponse, HttpResponseRedirect, JsonResponse
from django.views.decorators.http import require_GET
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
)
from rest_framework import generics, serializers
from rest_framework.authentication import SessionAuthentication
from rest_framework.pagination import PageNumberPagination
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from catalog.errors import ProductNotFound
from catalog.gtin import InvalidGtin, normalize_gtin, parse_scanned_code
from catalog.models import Product
from catalog.schema import ProductOutput
from catalog.selectors import (
    get_product_json,
    get_product_payload_by_gtin,
    json_quantity,
    product_payload,
    resolve_code,
    search_products,
    with_promotions,
)
from catalog.services import set_stock
from grocery.authentication import ExpiringTokenAuthentication
from grocery.errors import error_body
from grocery.qr import qr_response
from grocery.schema import ErrorSerializer, documented_by
from promotions.selectors import product_json_with_promotions

NOT_FOUND = OpenApiResponse(ErrorSerializer, description="No product with that code.")


def _not_found(exc: ProductNotFound) -> JsonResponse:
    return JsonResponse(error_body(exc.code, exc.message), status=404)


def _by_barcode(code: str) -> dict | None:
    """A GTIN typed or scanned in place of the shelf code."""
    scanned = parse_scanned_code(code)
    if scanned.gtin is None:
        return None
    try:
        return get_product_payload_by_gtin(scanned.gtin)
    except ProductNotFound:
        return None


@require_GET
def product_detail(request, product_id: str):
    """The hot path: plain Django serving the cached JSON bytes as they are.

    DRF's request cycle and re-encoding the payload would cost a third of the throughput here
    (docs/benchmarks.md); ProductDetailApi below only documents this view.
    """
    try:
        body = product_json_with_promotions(get_product_json(product_id))
        return HttpResponse(body, content_type="application/json")
    except ProductNotFound as exc:
        payload = _by_barcode(product_id)
        if payload is None:
            return _not_found(exc)
        return JsonResponse(with_promotions(payload))


class ProductDetailApi(APIView):
    """Schema for product_detail, which serves the URL (see catalog/urls.py)."""

    @extend_schema(
        operation_id="product_detail",
        summary="A product by its shelf code (or any GTIN printed on the pack)",
        responses={200: ProductOutput, 404: NOT_FOUND},
    )
    def get(self, request, product_id: str):
        return product_detail(request._request, product_id)


documented_by(product_detail, ProductDetailApi)


class ScanApi(APIView):
    class OutputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "ScanResult"

        product = ProductOutput()
        weight = serializers.DecimalField(max_digits=8, decimal_places=3, allow_null=True)
        price = serializers.DecimalField(max_digits=10, decimal_places=2, allow_null=True)

    @extend_schema(
        summary="Resolve a scanned code: shelf code, GTIN-8/12/13/14, or a scale's weight/price label",
        responses={200: OutputSerializer, 404: NOT_FOUND},
    )
    def get(self, request, code: str):
        payload, scanned = resolve_code(code)
        return Response(
            {
                "product": with_promotions(payload),
                "weight": json_quantity(scanned.weight) if scanned.weight is not None else None,
                "price": float(scanned.price) if scanned.price is not None else None,
            }
        )


class ProductByGtinApi(APIView):
    @extend_schema(
        summary="A product by GTIN (8, 12, 13 or 14 digits)",
        responses={200: ProductOutput, 400: ErrorSerializer, 404: NOT_FOUND},
    )
    def get(self, request, gtin: str):
        try:
            gtin14 = normalize_gtin(gtin)
        except InvalidGtin as exc:
            raise serializers.ValidationError({"gtin": [str(exc)]}) from exc
        return Response(with_promotions(get_product_payload_by_gtin(gtin14)))


class ProductPagination(PageNumberPagination):
    last_page_strings = ()  # "?page=last" would be a second spelling of a number

    def get_page_number(self, request, paginator):
        page = request.query_params.get(self.page_query_param, "1")
        if not re.fullmatch(r"-?[0-9]+", page):  # out-of-range numbers are a 404, as DRF has it
            raise serializers.ValidationError({"page": ["A page number: 1, 2, 3..."]})
        return page


class ProductListApi(generics.ListAPIView):
    """Active products, searchable by name, shelf code or GTIN, filterable by category slug."""

    serializer_class = ProductOutput
    pagination_class = ProductPagination

    def get_queryset(self):
        # (A NUL byte, which PostgreSQL cannot compare, never gets here: grocery/middleware.py.)
        params = {
            name: self.request.query_params.get(name, "").strip() for name in ("q", "category")
        }
        return search_products(**params)

    @extend_schema(
        summary="Active products, 50 a page",
        parameters=[
            OpenApiParameter("q", str, description="Name contains, or exact shelf code / GTIN"),
            OpenApiParameter("category", str, description="Category slug"),
        ],
        responses={
            200: ProductOutput(many=True),
            400: OpenApiResponse(ErrorSerializer, description="A page that is not a number."),
            404: OpenApiResponse(ErrorSerializer, description="No such page."),
        },
    )
    def get(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response([with_promotions(product_payload(p)) for p in page])


class CanAdjustStock(BasePermission):
    message = "Staff with the 'adjust stock' permission only."

    def has_permission(self, request, view):
        user = request.user
        return bool(user and user.is_staff and user.has_perm("catalog.adjust_stock"))


class JsonIntegerField(serializers.IntegerField):
    """An integer as a JSON number: "5", 5.5 and true are refused rather than coerced."""

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return super().to_internal_value(data)


class InventoryUpdateApi(APIView):
    # Token first, so that a request without credentials gets 401 with a WWW-Authenticate
    # challenge; a signed-in user without the permission gets 403.
    authentication_classes = [ExpiringTokenAuthentication, SessionAuthentication]
    permission_classes = [CanAdjustStock]

    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "InventoryUpdate"

        product_id = serializers.CharField(max_length=32)
        stock = JsonIntegerField(min_value=0, max_value=999_999_999)
        note = serializers.CharField(required=False, allow_blank=True, max_length=200)

    class OutputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "InventoryUpdated"

        product_id = serializers.CharField()
        status = serializers.CharField()
        new_stock = serializers.IntegerField()

    @extend_schema(
        summary="Set a product's counted stock (staff only; audited as a stock movement)",
        description="`product_id` in the body must equal the one in the URL (else 400). "
        "Token (`Authorization: Token ...`) or session authentication; session requests "
        "need the CSRF token.",
        request=InputSerializer,
        responses={
            200: OutputSerializer,
            400: ErrorSerializer,
            401: ErrorSerializer,
            403: ErrorSerializer,
            404: NOT_FOUND,
        },
    )
    def put(self, request, product_id: str):
        given = self.InputSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        if given.validated_data["product_id"] != product_id:
            raise serializers.ValidationError(
                {"product_id": ["Must match the product id in the URL."]}
            )
        try:
            product = Product.objects.get(product_id=product_id)
        except Product.DoesNotExist:
            raise ProductNotFound() from None
        set_stock(
            product=product,
            stock=given.validated_data["stock"],
            user=request.user,
            note=given.validated_data.get("note", "") or "inventory API",
        )
        return Response(
            {"product_id": product_id, "status": "updated", "new_stock": int(product.stock)}
        )


@require_GET
def product_qr(request, product_id: str, fmt: str):
    """The shelf label's QR: the product page URL, so a phone's own camera app opens it."""
    if not Product.objects.filter(product_id=product_id).exists():
        return _not_found(ProductNotFound())
    return qr_response(f"{settings.PUBLIC_BASE_URL}/p/{product_id}", fmt)


class ProductQrApi(APIView):
    @extend_schema(
        operation_id="product_qr",
        summary="The QR code for a product's shelf label (encodes {PUBLIC_BASE_URL}/p/{product_id})",
        parameters=[OpenApiParameter("fmt", str, OpenApiParameter.PATH, enum=["svg", "png"])],
        responses={
            (200, "image/svg+xml"): OpenApiTypes.STR,
            (200, "image/png"): OpenApiTypes.BINARY,
            404: NOT_FOUND,
        },
    )
    def get(self, request, product_id: str, fmt: str):
        return product_qr(request._request, product_id, fmt)


documented_by(product_qr, ProductQrApi)


@require_GET
def digital_link(request, gtin: str):
    """GS1 Digital Link (/01/{gtin}): JSON for API clients, the product page for people."""
    try:
        payload = get_product_payload_by_gtin(normalize_gtin(gtin))
    except InvalidGtin as exc:
        return JsonResponse(error_body("invalid_gtin", str(exc)), status=400)
    except ProductNotFound as exc:
        return _not_found(exc)
    if "application/json" in request.headers.get("Accept", ""):
        return JsonResponse(with_promotions(payload))
    return HttpResponseRedirect(f"/p/{payload['product_id']}")


class DigitalLinkApi(APIView):
    @extend_schema(
        operation_id="digital_link",
        summary="GS1 Digital Link: a GTIN (8, 12, 13 or 14 digits) to its product",
        description="With `Accept: application/json` the product; otherwise a redirect to "
        "the product page.",
        responses={
            200: ProductOutput,
            302: OpenApiResponse(description="To the product page, /p/{product_id}."),
            400: OpenApiResponse(ErrorSerializer, description="Not a valid GTIN."),
            404: NOT_FOUND,
        },
    )
    def get(self, request, gtin: str):
        return digital_link(request._request, gtin)


documented_by(digital_link, DigitalLinkApi)


def digital_link_with_qualifiers(request, gtin: str, qualifiers: str):
    """/01/{gtin}/10/{batch}/21/{serial}...: a batch or serial still names the same product."""
    return digital_link(request, gtin)

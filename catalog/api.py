"""Catalog writes and the shelf-label QR. The product reads, which carry the running
promotions, are served from promotions/product_api.py: catalog never imports promotions."""

from django.http import JsonResponse
from django.utils.cache import patch_cache_control
from django.views.decorators.http import require_GET
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.authentication import SessionAuthentication
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from catalog.errors import CodeNotFound, InvalidCode, ProductNotFound, UnknownStore
from catalog.gtin import InvalidGtin, normalize_code
from catalog.models import Product, ProductCode, product_url
from catalog.schema import PRODUCT_NOT_FOUND, UNKNOWN_STORE, StoreOutput
from catalog.selectors import check_works_in, is_chain
from catalog.services import save_product_codes, set_stock
from catalog.stores import STORE_PARAM, get_store, list_open_stores, resolve_store
from grocery.authentication import ExpiringTokenAuthentication
from grocery.errors import error_body
from grocery.qr import qr_response
from grocery.schema import ErrorSerializer, documented_by


class CanAdjustStock(BasePermission):
    message = "Staff with the 'adjust stock' permission only."

    def has_permission(self, request, view):
        user = request.user
        return bool(user and user.is_staff and user.has_perm("catalog.adjust_stock"))


class CanChangeProducts(BasePermission):
    message = "Staff with the 'change product' permission only."

    def has_permission(self, request, view):
        user = request.user
        return bool(user and user.is_staff and user.has_perm("catalog.change_product"))


def _product_or_404(product_id: str) -> Product:
    try:
        return Product.objects.get(product_id=product_id)
    except Product.DoesNotExist:
        raise ProductNotFound() from None


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
        "need the CSRF token. The stock is the store's the request names (`X-Store`, "
        "`?store=`; the home store if none): staff who do not work there get a 403 "
        "`not_your_store` naming it, and nothing changes.",
        request=InputSerializer,
        responses={
            200: OutputSerializer,
            400: ErrorSerializer,
            401: ErrorSerializer,
            403: ErrorSerializer,
            404: PRODUCT_NOT_FOUND,
        },
    )
    def put(self, request, product_id: str):
        given = self.InputSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        if given.validated_data["product_id"] != product_id:
            raise serializers.ValidationError(
                {"product_id": ["Must match the product id in the URL."]}
            )
        store = resolve_store(request)  # X-Store or ?store=; the home store if none
        check_works_in(request.user, store)
        product = _product_or_404(product_id)
        set_stock(
            product=product,
            stock=given.validated_data["stock"],
            store=store,
            user=request.user,
            note=given.validated_data.get("note", "") or "inventory API",
        )
        return Response(
            {"product_id": product_id, "status": "updated", "new_stock": int(product.stock)}
        )


class ProductCodeOutput(serializers.Serializer):
    class Meta:
        ref_name = "ProductCode"

    product_id = serializers.CharField(source="product.product_id")
    code = serializers.CharField()
    kind = serializers.ChoiceField(choices=ProductCode.Kind.values)


class ProductCodeAddApi(APIView):
    authentication_classes = [ExpiringTokenAuthentication, SessionAuthentication]
    permission_classes = [CanChangeProducts]

    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "ProductCodeAdd"

        code = serializers.CharField(max_length=20)

    @extend_schema(
        summary="Give a product a further code: another GTIN, or a PLU (4-5 digits) for loose "
        "produce (staff with 'change product')",
        description="Every code finds one product: a code another product already answers to "
        "is a 409 `code_in_use` naming that product in `detail.product_id`.",
        request=InputSerializer,
        responses={
            201: ProductCodeOutput,
            400: ErrorSerializer,
            401: ErrorSerializer,
            403: ErrorSerializer,
            404: PRODUCT_NOT_FOUND,
            409: ErrorSerializer,
        },
    )
    def post(self, request, product_id: str):
        given = self.InputSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        product = _product_or_404(product_id)
        [row] = save_product_codes(
            product=product, saved=[ProductCode(code=given.validated_data["code"])]
        )
        return Response(ProductCodeOutput(row).data, status=201)


class ProductCodeRemoveApi(APIView):
    authentication_classes = [ExpiringTokenAuthentication, SessionAuthentication]
    permission_classes = [CanChangeProducts]

    @extend_schema(
        summary="Take a further code off a product (staff with 'change product')",
        responses={
            204: None,
            400: ErrorSerializer,
            401: ErrorSerializer,
            403: ErrorSerializer,
            404: ErrorSerializer,
        },
    )
    def delete(self, request, product_id: str, code: str):
        product = _product_or_404(product_id)
        try:
            code, _ = normalize_code(code)
        except InvalidGtin as exc:
            raise InvalidCode(str(exc), code=code) from None
        row = ProductCode.objects.filter(product=product, code=code).first()
        if row is None:
            raise CodeNotFound(f"Product {product_id} has no further code {code}.", code=code)
        save_product_codes(product=product, deleted=[row])
        return Response(status=204)


@require_GET
def product_qr(request, product_id: str, fmt: str):
    """The shelf label's QR: the product page URL, so a phone's own camera app opens it; with
    ?store= the URL of a label printed for that store (as catalog.labels prints it)."""
    if not Product.objects.filter(product_id=product_id).exists():
        exc = ProductNotFound()
        return JsonResponse(error_body(exc.code, exc.message), status=404)
    store = None
    if code := request.GET.get(STORE_PARAM):
        try:
            store = get_store(code).code if is_chain() else None
        except UnknownStore as exc:
            return JsonResponse(error_body(exc.code, exc.message, exc.detail), status=404)
    return qr_response(product_url(product_id, store=store), fmt)


# The list changes when a manager opens or closes a store: a minute late is fine.
STORE_LIST_MAX_AGE = 60


class StoreListApi(APIView):
    authentication_classes = []
    permission_classes = []

    @extend_schema(
        summary="The stores open to customers (the PWA's store switch); cacheable for a minute",
        responses={200: inline_serializer("StoreList", {"stores": StoreOutput(many=True)})},
    )
    def get(self, request):
        response = Response({"stores": StoreOutput(list_open_stores(), many=True).data})
        patch_cache_control(response, public=True, max_age=STORE_LIST_MAX_AGE)
        return response


class CurrentStoreApi(APIView):
    authentication_classes = []
    permission_classes = []

    @extend_schema(
        summary="The store this request is in: named by ?store=, X-Store or the store cookie "
        "(left by the entrance QR /s/{code} or the store switch), else the home store",
        parameters=[OpenApiParameter("store", str, OpenApiParameter.QUERY, required=False)],
        responses={200: StoreOutput, 404: UNKNOWN_STORE},
    )
    def get(self, request):
        response = Response(StoreOutput(resolve_store(request)).data)
        patch_cache_control(response, private=True, no_cache=True)  # it follows the cookie
        return response


class ProductQrApi(APIView):
    @extend_schema(
        operation_id="product_qr",
        summary="The QR code for a product's shelf label (encodes {PUBLIC_BASE_URL}/p/{product_id})",
        description="With `?store={code}` in a chain of several open stores, the URL of the "
        "store's label: {PUBLIC_BASE_URL}/p/{product_id}?store={code}.",
        parameters=[
            OpenApiParameter("fmt", str, OpenApiParameter.PATH, enum=["svg", "png"]),
            OpenApiParameter(STORE_PARAM, str, OpenApiParameter.QUERY, required=False),
        ],
        responses={
            (200, "image/svg+xml"): OpenApiTypes.STR,
            (200, "image/png"): OpenApiTypes.BINARY,
            404: PRODUCT_NOT_FOUND,
        },
    )
    def get(self, request, product_id: str, fmt: str):
        return product_qr(request._request, product_id, fmt)


documented_by(product_qr, ProductQrApi)

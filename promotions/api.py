from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import JsonResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET
from drf_spectacular.utils import (
    OpenApiResponse,
    extend_schema,
    extend_schema_serializer,
    inline_serializer,
)
from rest_framework import serializers, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.permissions import SAFE_METHODS, BasePermission, IsAuthenticatedOrReadOnly
from rest_framework.response import Response
from rest_framework.views import APIView

from catalog.models import Category, Product, Store
from catalog.schema import ProductOutput
from catalog.selectors import in_store, product_payload
from catalog.stores import resolve_store
from grocery.errors import error_body
from grocery.qr import qr_response
from grocery.schema import ErrorSerializer
from promotions.errors import PromotionNotFound
from promotions.models import (
    COUPON_CODE,
    AppliesTo,
    Kind,
    Promotion,
    Status,
    missing_target,
    normal_coupon_code,
)
from promotions.selectors import (
    check_manages_promotion_in,
    coupon_url,
    covered_products,
    get_promotion,
    last_day,
    list_active_promotions,
    promotion_qr_url,
    promotion_status,
    promotion_url,
)
from promotions.services import save_promotion


class PromotionOutput(serializers.Serializer):
    id = serializers.CharField()
    description = serializers.CharField()
    valid_until = serializers.DateField(help_text="The last day it runs (shop's time zone).")
    name = serializers.CharField()
    kind = serializers.ChoiceField(choices=Kind.choices)
    valid_from = serializers.DateField()
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField(help_text="The first moment it no longer applies.")
    stackable = serializers.BooleanField()
    url = serializers.URLField()
    qr_url = serializers.URLField()


class StaffPromotionOutput(PromotionOutput):
    stores = serializers.ListField(
        child=serializers.CharField(),
        help_text="The codes of the stores it runs in; empty: every store.",
    )


def staff_promotion_data(promotion: Promotion) -> dict:
    """What staff who saved it see: the public fields and where it runs."""
    return {**promotion_data(promotion), "stores": sorted(s.code for s in promotion.stores.all())}


def promotion_data(promotion: Promotion) -> dict:
    """The SPEC's three fields first, then what the PWA shows."""
    return {
        "id": promotion.code,
        "description": promotion.description,
        "valid_until": last_day(promotion),
        "name": promotion.name,
        "kind": promotion.kind,
        "valid_from": timezone.localdate(promotion.valid_from).isoformat(),
        "starts_at": promotion.valid_from.isoformat(),
        "ends_at": promotion.valid_until.isoformat(),
        "stackable": promotion.stackable,
        "url": promotion_url(promotion.code),
        "qr_url": promotion_qr_url(promotion.code),
    }


class ReadOrManagePromotions(BasePermission):
    message = "Staff with the permission to manage promotions only."

    def has_permission(self, request, view):
        if request.method in SAFE_METHODS:
            return True
        user = request.user
        needed = "add_promotion" if request.method == "POST" else "change_promotion"
        return bool(user and user.is_staff and user.has_perm(f"promotions.{needed}"))


class PromotionInput(serializers.Serializer):
    code = serializers.SlugField(max_length=40, required=False, allow_blank=True)
    name = serializers.CharField(max_length=100)
    description = serializers.CharField(max_length=300)
    kind = serializers.ChoiceField(choices=Kind.choices)
    applies_to = serializers.ChoiceField(choices=AppliesTo.choices)
    products = serializers.ListField(child=serializers.CharField(), required=False)
    categories = serializers.ListField(child=serializers.SlugField(), required=False)
    stores = serializers.ListField(
        child=serializers.SlugField(),
        required=False,
        help_text="Codes of the stores it runs in; empty for every store.",
    )
    percent = serializers.DecimalField(max_digits=5, decimal_places=2, required=False)
    amount = serializers.DecimalField(max_digits=10, decimal_places=2, required=False)
    buy_quantity = serializers.IntegerField(min_value=1, max_value=999, required=False)
    free_quantity = serializers.IntegerField(min_value=1, max_value=999, required=False)
    bundle_quantity = serializers.IntegerField(min_value=2, max_value=999, required=False)
    pay_quantity = serializers.IntegerField(min_value=1, max_value=999, required=False)
    bundle_price = serializers.DecimalField(max_digits=10, decimal_places=2, required=False)
    threshold = serializers.DecimalField(max_digits=10, decimal_places=2, required=False)
    valid_from = serializers.DateTimeField()
    valid_until = serializers.DateTimeField()
    is_active = serializers.BooleanField(required=False, default=True)
    priority = serializers.IntegerField(min_value=-100, max_value=100, required=False, default=0)
    stackable = serializers.BooleanField(required=False, default=False)
    # Who may have it (docs/promotions.md: coupons and member prices); staff only, never shown.
    coupon_code = serializers.CharField(
        max_length=32, required=False, allow_blank=True, allow_null=True
    )
    uses_limit = serializers.IntegerField(min_value=1, required=False, allow_null=True)
    uses_per_customer = serializers.IntegerField(min_value=1, required=False, allow_null=True)
    members_only = serializers.BooleanField(required=False, default=False)
    min_basket = serializers.DecimalField(
        max_digits=10, decimal_places=2, min_value=0, required=False, allow_null=True
    )

    def validate_products(self, product_ids):
        found = dict(
            Product.objects.filter(product_id__in=product_ids).values_list("product_id", "pk")
        )
        unknown = sorted(set(product_ids) - set(found))
        if unknown:
            raise serializers.ValidationError(f"Unknown products: {', '.join(unknown)}.")
        return list(found.values())

    def validate(self, data):
        missing = missing_target(  # a partial change may leave the targets as they are
            data.get("applies_to"),
            products=data.get("products", self.partial),
            categories=data.get("categories", self.partial),
        )
        if missing:
            raise serializers.ValidationError({missing: ["Name at least one."]})
        return data

    def validate_stores(self, codes):
        found = {s.code: s for s in Store.objects.filter(code__in=codes)}
        unknown = sorted(set(codes) - set(found))
        if unknown:
            raise serializers.ValidationError(
                _("Unknown stores: %(codes)s.") % {"codes": ", ".join(unknown)}
            )
        return list(found.values())

    def validate_categories(self, slugs):
        found = dict(Category.objects.filter(slug__in=slugs).values_list("slug", "pk"))
        unknown = sorted(set(slugs) - set(found))
        if unknown:
            raise serializers.ValidationError(f"Unknown categories: {', '.join(unknown)}.")
        return list(found.values())


def _save(promotion: Promotion, data: dict, *, user) -> Promotion:
    """Model validation errors become the API's 400; the limit is a 409 (TooManyActivePromotions);
    a promotion running in a store that is not the user's, before or after, is a 403."""
    products, categories = data.pop("products", None), data.pop("categories", None)
    stores = data.pop("stores", None)
    if promotion.pk:
        check_manages_promotion_in(user, list(promotion.stores.all()))
    if stores is not None or not promotion.pk:  # a new one without stores runs in every store
        check_manages_promotion_in(user, stores or [])
    for name, value in data.items():
        setattr(promotion, name, value)
    try:
        return save_promotion(
            promotion=promotion, products=products, categories=categories, stores=stores
        )
    except DjangoValidationError as exc:
        raise serializers.ValidationError(exc.message_dict) from exc


LIMIT = OpenApiResponse(
    ErrorSerializer, description="Too many promotions at the same moment in a store."
)
UNKNOWN_STORE = OpenApiResponse(ErrorSerializer, description="No open store with that code.")
STAFF_ERRORS = {400: ErrorSerializer, 401: ErrorSerializer, 403: ErrorSerializer, 409: LIMIT}


class PromotionListApi(APIView):
    # IsAuthenticatedOrReadOnly first: it also tells the schema that reads need no login.
    permission_classes = [IsAuthenticatedOrReadOnly, ReadOrManagePromotions]

    @extend_schema_serializer(component_name="PromotionList")
    class OutputSerializer(serializers.Serializer):
        promotions = PromotionOutput(many=True)

    @extend_schema(
        operation_id="promotion_list",
        summary="Promotions running now (in the store the request names, else the home store)",
        responses={200: OutputSerializer, 404: UNKNOWN_STORE},
    )
    def get(self, request):
        store = resolve_store(request)
        return Response(
            {"promotions": [promotion_data(p) for p in list_active_promotions(store=store.code)]}
        )

    @extend_schema(
        summary="Create a promotion (staff; refused over the active-promotions limit)",
        request=PromotionInput,
        responses={201: StaffPromotionOutput, **STAFF_ERRORS},
    )
    def post(self, request):
        given = PromotionInput(data=request.data)
        given.is_valid(raise_exception=True)
        promotion = _save(Promotion(), dict(given.validated_data), user=request.user)
        return Response(staff_promotion_data(promotion), status=status.HTTP_201_CREATED)


class ProductPage(PageNumberPagination):
    page_size = 50


class PromotionDetailApi(APIView):
    """A promotion by its public id, whatever its state: a scanned old poster is not an error."""

    # IsAuthenticatedOrReadOnly first: it also tells the schema that reads need no login.
    permission_classes = [IsAuthenticatedOrReadOnly, ReadOrManagePromotions]

    @extend_schema_serializer(component_name="PromotionDetail")
    class OutputSerializer(PromotionOutput):
        status = serializers.ChoiceField(choices=Status.choices)
        message = serializers.CharField()
        products = inline_serializer(
            "PromotionProducts",
            {
                "count": serializers.IntegerField(),
                "next": serializers.URLField(allow_null=True),
                "previous": serializers.URLField(allow_null=True),
                "results": ProductOutput(many=True),
            },
        )

    @extend_schema(
        operation_id="promotion_detail",
        summary="One promotion: status (active|upcoming|ended), its products (paginated ?page=)",
        responses={
            200: OutputSerializer,
            404: OpenApiResponse(
                ErrorSerializer,
                description="No promotion with that id, none in the store the request names, "
                "or no open store with that code.",
            ),
        },
    )
    def get(self, request, code: str):
        store = resolve_store(request)
        promotion = get_promotion(code, store=store)
        state, message = promotion_status(promotion)
        paginator = ProductPage()
        page = paginator.paginate_queryset(
            covered_products(promotion, store=store), request, view=self
        )
        return Response(
            {
                **promotion_data(promotion),
                "status": state,
                "message": message,
                "products": paginator.get_paginated_response(
                    [product_payload(in_store(p, p.here)) for p in page]
                ).data,
            }
        )

    @extend_schema(
        summary="Change a promotion (staff; dates and activation are checked against the limit)",
        request=PromotionInput(partial=True),
        responses={200: StaffPromotionOutput, 404: ErrorSerializer, **STAFF_ERRORS},
    )
    def patch(self, request, code: str):
        promotion = get_promotion(code)
        given = PromotionInput(data=request.data, partial=True)
        given.is_valid(raise_exception=True)
        saved = _save(promotion, dict(given.validated_data), user=request.user)
        return Response(staff_promotion_data(saved))


@require_GET
def coupon_qr(request, coupon_code: str, fmt: str):
    """A coupon's QR for printing: its link, which puts the code on the cart of the phone that
    scans it. Any well-formed code gets one without asking the database, so the answer says
    nothing about which codes exist."""
    coupon_code = normal_coupon_code(coupon_code)
    if not COUPON_CODE.fullmatch(coupon_code):
        return JsonResponse(error_body("invalid_coupon_code", "Not a coupon code."), status=404)
    return qr_response(coupon_url(coupon_code), fmt)


@require_GET
def promotion_qr(request, code: str, fmt: str):
    """The poster's QR: the promotion's page, so a phone's own camera app opens it."""
    if not Promotion.objects.filter(code=code).exists():
        exc = PromotionNotFound()
        return JsonResponse(error_body(exc.code, exc.message), status=404)
    return qr_response(promotion_url(code), fmt)

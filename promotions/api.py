from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.http import require_GET
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.views import APIView

from catalog.api import ErrorSerializer, ProductOutput
from catalog.selectors import product_payload
from grocery.errors import error_body
from grocery.qr import qr_response
from promotions.errors import PromotionNotFound
from promotions.models import Kind, Promotion, Status
from promotions.selectors import (
    covered_products,
    get_promotion,
    last_day,
    list_active_promotions,
    promotion_qr_url,
    promotion_status,
    promotion_url,
)


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


class PromotionListApi(APIView):
    class OutputSerializer(serializers.Serializer):
        promotions = PromotionOutput(many=True)

    @extend_schema(summary="Promotions running now", responses={200: OutputSerializer})
    def get(self, request):
        return Response({"promotions": [promotion_data(p) for p in list_active_promotions()]})


class ProductPage(PageNumberPagination):
    page_size = 50


class PromotionDetailApi(APIView):
    """A promotion by its public id, whatever its state: a scanned old poster is not an error."""

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
        summary="One promotion: status (active|upcoming|ended), its products (paginated ?page=)",
        responses={
            200: OutputSerializer,
            404: OpenApiResponse(ErrorSerializer, description="No promotion with that id."),
        },
    )
    def get(self, request, code: str):
        promotion = get_promotion(code)
        state, message = promotion_status(promotion)
        paginator = ProductPage()
        page = paginator.paginate_queryset(covered_products(promotion), request, view=self)
        return Response(
            {
                **promotion_data(promotion),
                "status": state,
                "message": message,
                "products": paginator.get_paginated_response(
                    [product_payload(p) for p in page]
                ).data,
            }
        )


@require_GET
def promotion_qr(request, code: str, fmt: str):
    """The poster's QR: the promotion's page, so a phone's own camera app opens it."""
    if not Promotion.objects.filter(code=code).exists():
        exc = PromotionNotFound()
        return JsonResponse(error_body(exc.code, exc.message), status=404)
    return qr_response(promotion_url(code), fmt)

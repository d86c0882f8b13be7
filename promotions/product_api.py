"""The product reads of the public API: catalog's product payloads with the promotions running on
them now. They live here, not in catalog, because catalog never imports promotions
(docs/architecture.md); the payloads and their cache stay catalog's."""

import re

from django.http import HttpResponse, HttpResponseRedirect, JsonResponse
from django.views.decorators.http import require_GET
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, serializers
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.views import APIView

from catalog.errors import ProductNotFound, UnknownStore
from catalog.gtin import InvalidGtin, normalize_gtin, parse_scanned_code
from catalog.models import product_path
from catalog.schema import PRODUCT_NOT_FOUND, ProductOutput
from catalog.selectors import (
    get_product_json,
    get_product_payload_by_code,
    json_quantity,
    product_payload,
    resolve_code,
    search_products,
)
from catalog.stores import store_code_of
from grocery.errors import error_body
from grocery.money import json_money
from grocery.schema import ErrorSerializer, documented_by
from promotions.selectors import product_json_with_promotions, with_promotions


def _not_found(exc: ProductNotFound) -> JsonResponse:
    return JsonResponse(error_body(exc.code, exc.message), status=404)


def _by_barcode(code: str, store: str | None) -> dict | None:
    """A GTIN or a PLU typed or scanned in place of the shelf code."""
    scanned = parse_scanned_code(code)
    if (found := scanned.gtin or scanned.plu) is None:
        return None
    try:
        return get_product_payload_by_code(found, store=store)
    except ProductNotFound:
        return None


@require_GET
def product_detail(request, product_id: str):
    """The hot path: plain Django serving the cached JSON bytes as they are.

    DRF's request cycle and re-encoding the payload would cost a third of the throughput here
    (docs/benchmarks.md); ProductDetailApi below only documents this view.
    """
    store = store_code_of(request)  # no query: a cached payload is served without one
    try:
        body = get_product_json(product_id, store=store)
        body = product_json_with_promotions(body, store=store)
        return HttpResponse(body, content_type="application/json")
    except ProductNotFound as exc:
        payload = _by_barcode(product_id, store)
        if payload is None:
            return _not_found(exc)
        return JsonResponse(with_promotions(payload, store=store))
    except UnknownStore as exc:
        return JsonResponse(error_body(exc.code, exc.message, exc.detail), status=404)


class ProductDetailApi(APIView):
    """Schema for product_detail, which serves the URL (see promotions/urls.py)."""

    @extend_schema(
        operation_id="product_detail",
        summary="A product by its shelf code (or any GTIN printed on the pack, or its PLU)",
        responses={200: ProductOutput, 404: PRODUCT_NOT_FOUND},
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
        summary="Resolve a scanned or typed code: shelf code, any GTIN-8/12/13/14, a PLU, "
        "or a scale's weight/price label",
        responses={200: OutputSerializer, 404: PRODUCT_NOT_FOUND},
    )
    def get(self, request, code: str):
        store = store_code_of(request)
        payload, scanned = resolve_code(code, store=store)
        return Response(
            {
                "product": with_promotions(payload, store=store),
                "weight": json_quantity(scanned.weight) if scanned.weight is not None else None,
                "price": json_money(scanned.price) if scanned.price is not None else None,
            }
        )


class ProductByGtinApi(APIView):
    @extend_schema(
        summary="A product by any of its GTINs (8, 12, 13 or 14 digits)",
        responses={200: ProductOutput, 400: ErrorSerializer, 404: PRODUCT_NOT_FOUND},
    )
    def get(self, request, gtin: str):
        try:
            gtin14 = normalize_gtin(gtin)
        except InvalidGtin as exc:
            raise serializers.ValidationError({"gtin": [str(exc)]}) from exc
        store = store_code_of(request)
        return Response(
            with_promotions(get_product_payload_by_code(gtin14, store=store), store=store)
        )


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
        store = store_code_of(self.request)
        return self.get_paginated_response(
            [with_promotions(product_payload(p), store=store) for p in page]
        )


@require_GET
def digital_link(request, gtin: str):
    """GS1 Digital Link (/01/{gtin}): JSON for API clients, the product page for people."""
    store = store_code_of(request)
    try:
        payload = get_product_payload_by_code(normalize_gtin(gtin), store=store)
    except InvalidGtin as exc:
        return JsonResponse(error_body("invalid_gtin", str(exc)), status=400)
    except ProductNotFound as exc:
        return _not_found(exc)
    except UnknownStore as exc:
        return JsonResponse(error_body(exc.code, exc.message, exc.detail), status=404)
    if "application/json" in request.headers.get("Accept", ""):
        return JsonResponse(with_promotions(payload, store=store))
    return HttpResponseRedirect(product_path(payload["product_id"]))


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
            404: PRODUCT_NOT_FOUND,
        },
    )
    def get(self, request, gtin: str):
        return digital_link(request._request, gtin)


documented_by(digital_link, DigitalLinkApi)


def digital_link_with_qualifiers(request, gtin: str, qualifiers: str):
    """/01/{gtin}/10/{batch}/21/{serial}...: a batch or serial still names the same product."""
    return digital_link(request, gtin)

"""OpenAPI pieces every app's API shares: the error body, and schemas for plain Django views.

A few views skip DRF's request cycle (the product lookup is the hot path; QR images and health
probes need none of it). Each gets an APIView twin whose method carries @extend_schema and
calls the plain view, and `documented_by` tells drf-spectacular to describe the plain view
through that twin. AutoSchema adds the 429 of throttled operations.
"""

from collections.abc import Callable

from drf_spectacular import openapi
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers
from rest_framework.views import APIView


class ErrorSerializer(serializers.Serializer):
    """Documents the error body every endpoint returns (grocery.errors.error_body)."""

    code = serializers.CharField()
    message = serializers.CharField()
    detail = serializers.DictField()


def documented_by(view: Callable, api_view: type[APIView]) -> None:
    view.cls = api_view
    view.initkwargs = {}


class AutoSchema(openapi.AutoSchema):
    """drf-spectacular's, plus the 429 that every throttled operation may answer (grocery.errors
    gives it the error shape and a Retry-After header), so clients and schemathesis expect it."""

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        if self.view.get_throttles() and "429" not in responses:
            responses["429"] = self._get_response_for_code(
                OpenApiResponse(ErrorSerializer, description="Too many requests: see Retry-After."),
                "429",
                direction=direction,
            )
        return responses

    def _get_response_headers_for_code(self, status_code, direction="response"):
        headers = super()._get_response_headers_for_code(status_code, direction)
        if status_code == "429":
            headers["Retry-After"] = {
                "schema": {"type": "integer"},
                "description": "Seconds to wait before trying again.",
            }
        return headers

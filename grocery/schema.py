"""OpenAPI pieces every app's API shares: the error body, and schemas for plain Django views.

A few views skip DRF's request cycle (the product lookup is the hot path; QR images and health
probes need none of it). Each gets an APIView twin whose method carries @extend_schema and
calls the plain view, and `documented_by` tells drf-spectacular to describe the plain view
through that twin.
"""

from collections.abc import Callable

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

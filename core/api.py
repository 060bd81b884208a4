"""API plumbing shared by every app: errors always come back as JSON, never a 500 page."""
from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError as DjangoValidationError
from django.http import Http404
from drf_spectacular.utils import extend_schema_serializer
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import APIView, exception_handler as drf_exception_handler

from core.errors import ServiceError


def exception_handler(exc, context):
    """``REST_FRAMEWORK["EXCEPTION_HANDLER"]``: service errors, Django's validation errors,
    404 and 403 become JSON with their status; everything else goes to DRF's handler."""
    if isinstance(exc, ServiceError):
        body = {"detail": exc.message, "code": exc.code}
        if exc.field:
            body["field"] = exc.field
        return Response(body, status=exc.status_code)
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(detail=exc.message_dict if hasattr(exc, "error_dict") else exc.messages)
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    return drf_exception_handler(exc, context)


def name_nested_serializers(namespace: dict) -> None:
    """Give each view's nested ``InputSerializer`` a unique OpenAPI component name.

    Call at the end of an API module with ``globals()``. Nested serializers all share
    a class name; without this the schema would merge them.
    """
    for name, view in list(namespace.items()):
        if isinstance(view, type) and issubclass(view, APIView) and view.__module__ == namespace["__name__"]:
            for attr in ("InputSerializer", "OutputSerializer"):
                serializer = view.__dict__.get(attr)
                if serializer is not None:
                    component = name.removesuffix("Api") + attr.removesuffix("Serializer")
                    extend_schema_serializer(component_name=component)(serializer)

"""API plumbing shared by every app: errors always come back as JSON, never a 500 page."""
from __future__ import annotations

import logging

from django.core.exceptions import PermissionDenied, ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

logger = logging.getLogger(__name__)


class ServiceError(Exception):
    """A business rule said no (voting twice, accepting on someone else's question…).

    Services raise it with a message a user can read; views turn it into a form
    error or a 400 with ``{"detail": message, "code": code}``.
    """

    status_code = status.HTTP_400_BAD_REQUEST

    def __init__(self, message: str, *, code: str = "invalid", field: str | None = None):
        super().__init__(message)
        self.message = message
        self.code = code
        self.field = field


class NotAllowed(ServiceError):
    status_code = status.HTTP_403_FORBIDDEN

    def __init__(self, message: str = "You do not have permission to do that.", *, code: str = "forbidden"):
        super().__init__(message, code=code)


def exception_handler(exc, context):
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

    Nested serializers all share a class name; without this the schema would merge them.
    """
    from drf_spectacular.utils import extend_schema_serializer
    from rest_framework.views import APIView

    for name, view in list(namespace.items()):
        if isinstance(view, type) and issubclass(view, APIView) and view.__module__ == namespace["__name__"]:
            for attr in ("InputSerializer", "OutputSerializer"):
                serializer = view.__dict__.get(attr)
                if serializer is not None:
                    component = name.removesuffix("Api") + attr.removesuffix("Serializer")
                    extend_schema_serializer(component_name=component)(serializer)

"""Service errors: how a business rule says no, in words a user can read.

Services raise them; page views turn them into a form error or a message, the API
(``core.api.exception_handler``) into a JSON body with the error's status.
"""
from __future__ import annotations


class ServiceError(Exception):
    """A business rule said no (voting twice, accepting on someone else's question…).

    Views turn it into a form error or a 400 with ``{"detail": message, "code": code}``
    (plus ``"field"`` when the error is about one input).
    """

    status_code = 400

    def __init__(self, message: str, *, code: str = "invalid", field: str | None = None):
        super().__init__(message)
        self.message = message
        self.code = code
        self.field = field


class NotAllowed(ServiceError):
    """The user may not do this (a 403). ``code="not_authenticated"`` means "sign in first"."""

    status_code = 403

    def __init__(self, message: str = "You do not have permission to do that.", *, code: str = "forbidden"):
        super().__init__(message, code=code)

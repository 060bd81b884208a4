"""Sign-up and profiles."""
from __future__ import annotations

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction

from community.models import User
from community.roles import CUSTOMER, MEMBER, role_assign
from core.errors import ServiceError


def check_signup(*, username: str, email: str, password: str, display_name: str = "") -> User:
    """Check a new account; return it unsaved (without its password) or raise ``ServiceError``.

    The username passes Django's username validator and is unique (case-insensitively), as is
    the email; passwords go through Django's validators.
    """
    username = (username or "").strip()
    email = (email or "").strip().lower()
    if not username:
        raise ServiceError("Choose a username.", field="username")
    if len(username) > 150:
        raise ServiceError("Use at most 150 characters for a username.", field="username")
    try:
        User.username_validator(username)  # Django's own: letters, digits and @ . + - _
    except ValidationError as exc:
        raise ServiceError(" ".join(exc.messages), field="username", code="invalid_username") from None
    if User.objects.filter(username__iexact=username).exists():
        raise ServiceError("That username is taken.", field="username", code="taken")
    if not email or "@" not in email:
        raise ServiceError("Enter a valid email address.", field="email")
    if User.objects.filter(email__iexact=email).exists():
        raise ServiceError("An account with that email already exists.", field="email", code="taken")
    user = User(username=username, email=email, display_name=(display_name or "").strip()[:80])
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise ServiceError(" ".join(exc.messages), field="password", code="weak_password") from None
    return user


@transaction.atomic
def user_signup(*, username: str, email: str, password: str, display_name: str = "") -> User:
    """Create an account with the customer and member roles (checked by ``check_signup``)."""
    user = check_signup(username=username, email=email, password=password, display_name=display_name)
    user.set_password(password)
    user.save()
    role_assign(user=user, role=CUSTOMER)
    role_assign(user=user, role=MEMBER)
    return user

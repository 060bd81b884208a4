"""Sign-up, joining the community, and profiles."""
from __future__ import annotations

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from community.models import User
from community.roles import CUSTOMER, MEMBER, role_assign
from community.validation import validate_display_name
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


def _check_join(*, display_name: str, accept_rules: bool) -> str:
    if not accept_rules:
        raise ServiceError("Accept the community rules to join.", field="accept_rules", code="rules_not_accepted")
    return validate_display_name(display_name)


@transaction.atomic
def member_join(*, user: User, display_name: str, accept_rules: bool) -> User:
    """Make a signed-in customer account a community member: it accepts the rules and picks the
    name shown on its posts. Assumes ``check_can_join(user)`` passed."""
    user.display_name = _check_join(display_name=display_name, accept_rules=accept_rules)
    user.community_rules_accepted_at = timezone.now()
    user.save(update_fields=["display_name", "community_rules_accepted_at"])
    role_assign(user=user, role=MEMBER)
    return user


@transaction.atomic
def user_join(*, username: str, email: str, password: str, display_name: str, accept_rules: bool) -> User:
    """Sign up and join the community in one step (an anonymous visitor who wants to ask)."""
    display_name = _check_join(display_name=display_name, accept_rules=accept_rules)
    user = user_signup(username=username, email=email, password=password, display_name=display_name)
    user.community_rules_accepted_at = timezone.now()
    user.save(update_fields=["community_rules_accepted_at"])
    return user

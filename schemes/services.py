"""Multi-step writes on reference data and staff accounts, shared by commands, admin and tests."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from rest_framework.authtoken.models import Token

from .choices import Role
from .models import Membership, Organisation
from .roles import STAFF_ROLES, group_name


class AccountError(ValueError):
    """A request for an account that cannot be met, with a message for the person who asked."""


@transaction.atomic
def set_up_user(
    username: str,
    role: str,
    organisation_codes: list[str],
    email: str = "",
    password: str | None = None,
) -> AbstractBaseUser:
    """Create or update a member of staff: role, organisations (replacing any others) and password, which must
    pass the same validators as the admin's password forms.

    An `api` user never signs in with a password; staff roles get admin access (records stay
    limited to their organisations by `for_user`)."""
    if role not in Role.values:
        raise AccountError(f"Unknown role {role!r}: choose one of {', '.join(Role.values)}.")
    if not organisation_codes:
        raise AccountError("Give at least one --organisation.")
    organisations = []
    for code in organisation_codes:
        organisation = Organisation.objects.filter(code__iexact=code).first()
        if organisation is None:
            raise AccountError(f"Unknown organisation {code!r}.")
        organisations.append(organisation)

    User = get_user_model()
    user, _ = User.objects.get_or_create(username=username)
    if email:
        user.email = email
    user.is_staff = role in STAFF_ROLES
    if role == Role.API:
        user.set_unusable_password()
    elif password:
        try:
            validate_password(password, user)  # the admin's validators (AUTH_PASSWORD_VALIDATORS)
        except ValidationError as error:
            raise AccountError(" ".join(error.messages)) from error  # and the account is not created
        user.set_password(password)
    elif not user.password:
        user.set_unusable_password()  # a new account with no password given cannot sign in until one is set
    user.save()

    user.groups.set([Group.objects.get(name=group_name(role))])
    Membership.objects.filter(user=user).exclude(organisation__in=organisations).delete()
    for organisation in organisations:
        Membership.objects.update_or_create(user=user, organisation=organisation, defaults={"role": role})
    return user


def new_token(user) -> str:
    """Replace the user's API token with a new one (the old one stops working) and return its key."""
    Token.objects.filter(user=user).delete()
    return Token.objects.create(user=user).key

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import StringConstraints

from treffpunkt.schemas import UNCHANGED, VERBATIM, Email, Input, Name, Output

# Passwords are compared as hashes, never shown or sent: any characters are fine, and
# exactly those typed, at setting and at login alike: no stripping (Input strips other
# texts) and no normalising, so that "  secret " stays a different password from "secret".
_AS_TYPED = StringConstraints(strip_whitespace=False)
MIN_PASSWORD_LENGTH = 12
NewPassword = Annotated[
    str,
    StringConstraints(min_length=MIN_PASSWORD_LENGTH, max_length=1024),
    _AS_TYPED,
    VERBATIM,
]
Password = Annotated[str, StringConstraints(min_length=1, max_length=1024), _AS_TYPED, VERBATIM]


class LoginIn(Input):
    email: Email
    password: Password


class GuideCreate(Input):
    email: Email
    display_name: Name
    password: NewPassword


class GuideInvite(Input):
    """A guide invited by mail: the account has no password until the guide sets one
    through the invitation's link."""

    email: Email
    display_name: Name


class PasswordResetRequest(Input):
    email: Email


class PasswordChange(Input):
    current_password: Password
    new_password: NewPassword


class AdminCreate(Input):
    """A platform admin, as `treffpunkt create-admin` makes one: the API's rules."""

    email: Email
    display_name: Name
    password: NewPassword


class AccountUpdate(Input):
    """Fields left out stay; none of them can be cleared."""

    display_name: Name = UNCHANGED
    password: NewPassword = UNCHANGED
    active: bool = UNCHANGED


class AccountOut(Output):
    id: int
    email: str
    display_name: str
    role: Literal["admin", "guide"]
    municipality: str | None
    active: bool
    created_at: datetime
    last_login_at: datetime | None


class LoginOut(Output):
    access_token: str
    token_type: Literal["bearer"] = "bearer"  # noqa: S105 (a scheme name)
    expires_at: datetime
    account: AccountOut

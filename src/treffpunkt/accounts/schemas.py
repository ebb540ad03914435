from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import EmailStr, StringConstraints

from treffpunkt.schemas import Input, Name, Output

NewPassword = Annotated[str, StringConstraints(min_length=12, max_length=1024)]


class LoginIn(Input):
    email: EmailStr
    password: Annotated[str, StringConstraints(min_length=1, max_length=1024)]


class GuideCreate(Input):
    email: EmailStr
    display_name: Name
    password: NewPassword


class AccountUpdate(Input):
    display_name: Name | None = None
    password: NewPassword | None = None
    active: bool | None = None


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

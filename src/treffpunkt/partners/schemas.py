from __future__ import annotations

from typing import Annotated, Literal

from pydantic import StringConstraints

from treffpunkt.partners.tables import PartnerKind
from treffpunkt.schemas import (
    MULTI_LINE,
    UNCHANGED,
    Email,
    Input,
    Name,
    Output,
    Url,
)

Phone = Annotated[str, StringConstraints(max_length=30, pattern=r"^[0-9+() /-]{5,30}$")]
Notes = Annotated[str, StringConstraints(max_length=4000), MULTI_LINE]
PartnerLocale = Literal["de", "en", "uk", "ar", "tr", "fa"]


class PartnerCreate(Input):
    name: Name
    kind: PartnerKind = PartnerKind.other
    contact_name: Name | None = None
    email: Email | None = None
    phone: Phone | None = None
    website: Url | None = None
    locale: PartnerLocale = "de"
    notes: Notes = ""


class PartnerUpdate(Input):
    """Fields left out stay; the optional ones are cleared by null."""

    name: Name = UNCHANGED
    kind: PartnerKind = UNCHANGED
    contact_name: Name | None = UNCHANGED
    email: Email | None = UNCHANGED
    phone: Phone | None = UNCHANGED
    website: Url | None = UNCHANGED
    locale: PartnerLocale = UNCHANGED
    notes: Notes = UNCHANGED


class PartnerOut(Output):
    id: int
    name: str
    kind: PartnerKind
    contact_name: str | None
    email: str | None
    phone: str | None
    website: str | None
    locale: str
    notes: str


Role = Annotated[str, StringConstraints(max_length=200)]


class ContactCreate(Input):
    """A contact person at a partner."""

    name: Name
    role: Role = ""
    email: Email | None = None
    phone: Phone | None = None
    locale: PartnerLocale = "de"
    notes: Notes = ""


class ContactUpdate(Input):
    """Fields left out stay; the optional ones are cleared by null."""

    name: Name = UNCHANGED
    role: Role = UNCHANGED
    email: Email | None = UNCHANGED
    phone: Phone | None = UNCHANGED
    locale: PartnerLocale = UNCHANGED
    notes: Notes = UNCHANGED

from enum import StrEnum

from piccolo.columns import Boolean, ForeignKey, Serial, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from treffpunkt.municipalities.tables import Municipality


class Role(StrEnum):
    admin = "admin"
    guide = "guide"


class Account(Table, tablename="account"):
    """A person who logs in: a platform admin, or a guide of exactly one municipality."""

    id = Serial(primary_key=True)

    email = Varchar(length=254, unique=True, index=True)
    display_name = Varchar(length=200)
    password_hash = Varchar(length=255, secret=True)
    role = Varchar(length=16, choices=Role)
    municipality = ForeignKey(Municipality, null=True, on_delete=OnDelete.restrict, index=True)
    active = Boolean(default=True)
    created_at = Timestamptz(default=TimestamptzNow())
    last_login_at = Timestamptz(null=True, default=None)


class AccessToken(Table, tablename="access_token"):
    """A login: bearer token for the API or session cookie for pages; only its hash is kept."""

    id = Serial(primary_key=True)

    token_hash = Varchar(length=64, unique=True, index=True)
    account = ForeignKey(Account, on_delete=OnDelete.cascade, index=True)
    kind = Varchar(length=16, default="api")
    created_at = Timestamptz(default=TimestamptzNow())
    expires_at = Timestamptz()
    revoked_at = Timestamptz(null=True, default=None)
    # A session's last request (sessions end after TREFFPUNKT_SESSION_IDLE_MINUTES idle).
    last_seen_at = Timestamptz(null=True, default=None)


class LinkPurpose(StrEnum):
    reset = "reset"  # "forgot password": short-lived
    invitation = "invitation"  # a new guide sets their first password


class AccountLink(Table, tablename="account_link"):
    """A one-time link to set an account's password, sent by mail.

    Only the hash of its token is kept; the token itself is derived from the secret key
    and `token_salt` when the mail goes out (tokens.derive_token), so it is never
    stored. A link is used once (`used_at`), ends at `expires_at`, and is revoked when a
    newer link of the same account replaces it.
    """

    id = Serial(primary_key=True)

    account = ForeignKey(Account, on_delete=OnDelete.cascade, index=True)
    purpose = Varchar(length=16, choices=LinkPurpose)
    token_hash = Varchar(length=64, unique=True, index=True)
    token_salt = Varchar(length=64, secret=True)
    created_at = Timestamptz(default=TimestamptzNow())
    expires_at = Timestamptz()
    used_at = Timestamptz(null=True, default=None)
    revoked_at = Timestamptz(null=True, default=None)

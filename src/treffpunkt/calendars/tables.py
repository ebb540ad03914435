from piccolo.columns import ForeignKey, Serial, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from treffpunkt.municipalities.tables import Municipality


class PersonalFeed(Table, tablename="personal_feed"):
    """A person's calendar of the sessions they hold a place for, in one municipality.

    The person is their registrations' email address; the feed itself shows no
    personal data. The token is derived from the secret key and `token_salt` and
    only its hash is kept, so a mail can link it again; revoking means a new salt.
    """

    id = Serial(primary_key=True)
    municipality = ForeignKey(Municipality, on_delete=OnDelete.cascade, index=True, null=False)
    email = Varchar(length=254)  # lower-cased, as registrations match it
    token_hash = Varchar(length=64, unique=True)
    token_salt = Varchar(length=64, secret=True)
    created_at = Timestamptz(default=TimestamptzNow())

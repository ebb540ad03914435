"""The one Piccolo app: every table, and the top-level migrations/ folder."""

import os
from pathlib import Path

from piccolo.conf.apps import AppConfig

from treffpunkt.accounts.tables import AccessToken, Account, AccountLink
from treffpunkt.calendars.tables import FeedVersion, InvitationRecord, PersonalFeed
from treffpunkt.events.tables import Event, Programme, ProgrammePartner, Session, Venue
from treffpunkt.municipalities.tables import Municipality, MunicipalityLogo, PrivacyNotice
from treffpunkt.outbox import OutboxMessage
from treffpunkt.partners.tables import Partner, PartnerContact
from treffpunkt.registrations.tables import Attendance, EventMessage, Invitation, Registration
from treffpunkt.submissions.tables import Submission


def _migrations_folder() -> str:
    configured = os.environ.get("TREFFPUNKT_MIGRATIONS_DIR")
    if configured:
        return configured
    # The package is installed editable from the repository, so migrations/ sits at its root.
    return str(Path(__file__).resolve().parents[2] / "migrations")


APP_CONFIG = AppConfig(
    app_name="treffpunkt",
    migrations_folder_path=_migrations_folder(),
    table_classes=[
        Municipality,
        Account,
        AccessToken,
        AccountLink,
        Partner,
        PartnerContact,
        Venue,
        Programme,
        ProgrammePartner,
        Event,
        Session,
        Registration,
        Attendance,
        OutboxMessage,
        PersonalFeed,
        FeedVersion,
        InvitationRecord,
        PrivacyNotice,
        MunicipalityLogo,
        Invitation,
        EventMessage,
        Submission,
    ],
    migration_dependencies=[],
    commands=[],
)

"""What the mails' shared layout says (email_templates/layout/), in one language, for
tests that look for a sentence in a mail. Values that change from mail to mail are left
as slots (`{municipality}`, `{until}`, `{position}`) for the test to fill in."""

from __future__ import annotations

from treffpunkt.translations import translator


def said_in_mail(locale: str) -> dict[str, str]:
    said = translator(locale).gettext
    return {
        "manage": said("View or cancel your registration"),
        "view": said("View your registration"),
        "reason": said(
            "You receive this email because this address was registered for an event with"
            " %(municipality)s.",
            municipality="{municipality}",
        ),
        "calendar": said(
            "Your calendar address with all your dates with %(municipality)s – subscribe to"
            " it in your calendar app and it stays up to date",
            municipality="{municipality}",
        ),
        "standing_confirmed": said(
            "Your place stays yours. If you cannot come, please cancel so that someone else"
            " can have your place."
        ),
        "standing_pending": said(
            "Your place is held for you until %(until)s. Please open the link below and press"
            " “%(button)s” by then; otherwise the place goes to the next person.",
            until="{until}",
            button=said("Confirm registration"),
        ),
        "standing_waitlisted": said(
            "You are still on the waitlist, at number %(position)s. We will write to you as"
            " soon as a place becomes free for you.",
            position="{position}",
        ),
        "ended_pending": said("You no longer need to confirm your registration."),
        "ended_waitlisted": said("Your place on the waitlist ends with it."),
    }

"""Mail templates with the one catalogue (notifications/rendering.py): one template per
kind and part, the mail's language bound per render."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from treffpunkt.i18n import LOCALES
from treffpunkt.notifications.rendering import render, templates_dir
from treffpunkt.translations import translator

KINDS = sorted(p.name for p in templates_dir().iterdir() if p.name != "layout")
NOT_ABOUT_EVENTS = {"password_reset", "account_invitation", "test_mail"}


def context(**changes: Any) -> dict[str, Any]:
    return {
        "name": "Olena",
        "event_title": "Elterncafé",
        "status": "confirmed",
        "position": None,
        "expires_at": "2027-03-01T12:00:00+00:00",
        "email_confirmed": True,
        "remaining": True,
        "event_status": "published",
        "calendar_method": "REQUEST",
        "seats": 1,
        "sessions": [
            {
                "id": 1,
                "starts_at": "2027-03-02T09:00:00+00:00",
                "ends_at": "2027-03-02T11:00:00+00:00",
                "status": "scheduled",
            }
        ],
        "venue": None,
        "online_url": None,
        "municipality": {
            "name": "Stadt Bensheim",
            "sender_name": "Integration",
            "contact_email": "integration@bensheim.example",
            "website": None,
            "privacy_url": None,
            "time_zone": "Europe/Berlin",
        },
        "manage_url": "http://testserver/r/x",
        "confirm_url": "http://testserver/r/x?confirm=1",
        # account mails (accounts/links.py) and the mail check (notifications/check.py)
        "email": "olena@example.org",
        "link_url": "http://testserver/password/set/x",
        "base_url": "http://testserver",
        # A guide's message (guide_message): their words, as typed.
        "message_subject": "Raum geändert",
        "message_body": "Wir treffen uns im Hof.",
        # partner submissions (submission_*)
        "organisation": "Kulturverein",
        "programme_title": "Interkulturelle Woche",
        "dates": [{"day": "2027-09-27", "start": "18:00", "end": "20:00"}],
        "message": "Leider nicht.",
        "event_url": "http://testserver/m/bensheim/events/1",
        **changes,
    }


def test_each_kind_has_one_template_per_part_and_no_copy_per_language() -> None:
    for kind in KINDS:
        files = {p.name for p in (templates_dir() / kind).iterdir()}
        assert files == {"subject.txt", "body.txt", "body.html"}, kind
    assert not list(Path(templates_dir()).glob("**/*.json"))  # words live in the catalogue


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("locale", LOCALES)
def test_every_kind_speaks_every_language_in_its_direction(kind: str, locale: str) -> None:
    mail = render(kind, locale, context())
    direction = "rtl" if locale in ("ar", "fa") else "ltr"
    assert f'<html lang="{locale}" dir="{direction}">' in mail.html
    assert ("Elterncafé" in mail.subject) == (kind not in NOT_ABOUT_EVENTS)
    german = render(kind, "de", context())
    assert (mail.text == german.text) == (locale == "de")


def test_a_language_treffpunkt_does_not_speak_reads_german_throughout() -> None:
    """Words, dates and the <html lang> alike: no French weekday in a German mail."""
    for kind in KINDS:
        assert render(kind, "fr", context()) == render(kind, "de", context())


def test_the_greeting_names_only_a_confirmed_reader() -> None:
    named = render("registration_confirmed", "uk", context(name="Olena"))
    neutral = render("registration_confirmed", "uk", context(name=None))
    assert named.text.startswith("Вітаємо, Olena!\n")
    assert neutral.text.startswith("Вітаємо!\n")
    assert "<p>Вітаємо!</p>" in neutral.html


def test_html_escapes_what_people_typed_and_text_keeps_it_as_typed() -> None:
    """The greeting is one partial for both parts: it is escaped in the HTML part."""
    typed = context(name="Anna & <b>Ben</b>", event_title="Sprache & <Kultur>")
    mail = render("registration_promoted", "de", typed)
    assert mail.text.startswith("Hallo Anna & <b>Ben</b>,\n")
    assert "Sprache & <Kultur>" in mail.subject
    assert "<p>Hallo Anna &amp; &lt;b&gt;Ben&lt;/b&gt;,</p>" in mail.html
    assert "Sprache &amp; &lt;Kultur&gt;" in mail.html
    assert "<b>" not in mail.html


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize(
    ("kind", "changes", "button"),
    [
        ("registration_confirm_request", {"status": "pending"}, "Confirm registration"),
        ("registration_promoted", {"status": "pending"}, "Confirm registration"),
        (
            "registration_waitlisted",
            {"status": "waitlisted", "email_confirmed": False, "position": 2},
            "Confirm email address",
        ),
        ("event_changed", {"status": "pending"}, "Confirm registration"),
    ],
)
def test_a_confirmation_link_is_said_to_open_a_page_with_the_button(
    kind: str, changes: dict[str, Any], button: str, locale: str
) -> None:
    """The link opens the registration page, where a button confirms (a GET confirms
    nothing: mail scanners open links). The mail names that button as the page does."""
    t = translator(locale)
    mail = render(kind, locale, context(**changes))
    url = context()["confirm_url"]
    on_the_page = t.gettext(button)
    for part in (mail.text, mail.html):
        assert on_the_page in part
    assert f"{t.gettext('Open your registration')}: {url}" in mail.text
    assert f"{on_the_page}: {url}" not in mail.text
    assert f">{t.gettext('Open your registration')}</a>" in mail.html


@pytest.mark.parametrize("locale", LOCALES)
def test_a_declined_proposal_carries_the_guides_message_escaped(locale: str) -> None:
    typed = context(message="Leider <b>nicht</b> & nie.\n\nNächstes Jahr!")
    mail = render("submission_declined", locale, typed)
    assert "Leider <b>nicht</b> & nie.\n\nNächstes Jahr!" in mail.text
    assert "Leider &lt;b&gt;nicht&lt;/b&gt; &amp; nie.</p>" in mail.html
    assert "<b>" not in mail.html
    approved = render("submission_approved", locale, context())
    assert "http://testserver/m/bensheim/events/1" in approved.text
    assert 'href="http://testserver/m/bensheim/events/1"' in approved.html

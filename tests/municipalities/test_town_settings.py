"""A town's settings as its guides keep them (municipalities/service.py): what they
check, how the privacy notice is versioned, and that they reach the town's mail (a real
SMTP server) and its public pages (logo, colour, notice)."""

from __future__ import annotations

import io
from typing import Any

import pytest
from PIL import Image

from tests.factories import make_published_event, register_for_session, sessions_of
from treffpunkt.errors import InvalidInput
from treffpunkt.municipalities.logo import MAX_BYTES, prepare_logo
from treffpunkt.municipalities.service import get_municipality, set_logo
from treffpunkt.municipalities.tables import PrivacyNotice
from treffpunkt.notifications.worker import run_once

SETTINGS = {
    "sender_name": "Integrationsbüro Bensheim",
    "reply_to_email": "integration@bensheim.example.org",
    "contact_email": "integration@bensheim.example.org",
    "contact_phone": "06251 14-0",
    "privacy_notice": "Wir speichern Ihre Anmeldung.\n\nSie wird nach einem Jahr gelöscht.",
    "privacy_url": None,
    "imprint_url": "https://www.bensheim.de/impressum",
    "reminder_hours": 48,
    "confirmation_hold_hours": 12,
    "default_locale": "de",
    "accent_colour": "#7a1f5c",
}


def png(width: int = 300, height: int = 100, colour: str = "#005a8c") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(out, format="PNG")
    return out.getvalue()


async def put(client: Any, headers: Any, **changes: Any) -> Any:
    return await client.put("/api/v1/guide/settings", json={**SETTINGS, **changes}, headers=headers)


async def test_settings_are_checked_field_by_field_and_nothing_is_half_written(
    client: Any, bensheim: Any, bensheim_headers: Any
) -> None:
    for field, wrong in [
        ("sender_name", "Bensheim\r\nBcc: everyone@example.org"),
        ("sender_name", ""),
        ("reply_to_email", "not an address"),
        ("accent_colour", "#ffff00"),  # too light on white
        ("accent_colour", "red"),
        ("imprint_url", "http://www.bensheim.de/impressum"),  # https only
        ("privacy_url", "javascript:alert(1)"),
        ("reminder_hours", 1000),
        ("confirmation_hold_hours", 0),
        ("default_locale", "xx"),
        ("privacy_notice", "x" * 50_001),
    ]:
        answer = await put(client, bensheim_headers, **{field: wrong})
        assert answer.status_code == 422, (field, wrong, answer.text)
        assert field in answer.json()["fields"], (field, answer.json())
    assert await PrivacyNotice.count() == 0
    unchanged = await get_municipality("bensheim")
    assert unchanged.sender_name == bensheim.sender_name
    assert unchanged.reply_to_email is None


async def test_a_changed_privacy_notice_is_a_new_version_that_registrations_consent_to(
    client: Any, bensheim: Any, bensheim_headers: Any
) -> None:
    first = await put(client, bensheim_headers)
    assert first.status_code == 200, first.text
    version = first.json()["privacy_version"]
    assert first.json()["privacy_notice"]["version"] == version
    assert version.endswith(".1")

    # The same text again (other settings changed) is no new version.
    same = await put(client, bensheim_headers, reminder_hours=24)
    assert same.json()["privacy_version"] == version
    assert await PrivacyNotice.count() == 1

    changed = await put(client, bensheim_headers, privacy_notice="Neue Fassung.")
    new_version = changed.json()["privacy_version"]
    assert new_version != version
    assert new_version.endswith(".2")
    assert await PrivacyNotice.count() == 2

    event = await make_published_event(bensheim, registration_mode="per_session")
    [session] = await sessions_of(event)
    registration = await register_for_session(session.id, "olena@example.org")
    assert registration.consent_version == new_version

    # The public pages link the notice and name the version people consent to.
    notice = await client.get("/m/bensheim/privacy")
    assert notice.status_code == 200
    assert "Neue Fassung." in notice.text
    assert new_version in notice.text
    form = await client.get(f"/m/bensheim/events/{event.id}")
    assert 'href="/m/bensheim/privacy"' in form.text
    assert new_version in form.text
    assert 'href="https://www.bensheim.de/impressum"' in form.text


async def test_sender_name_and_reply_to_reach_mail_still_waiting(
    client: Any, bensheim: Any, bensheim_headers: Any, smtp: Any, mail_settings: Any
) -> None:
    event = await make_published_event(bensheim, registration_mode="per_session")
    [session] = await sessions_of(event)
    await register_for_session(session.id, "olena@example.org")  # its mail waits
    assert (await put(client, bensheim_headers)).status_code == 200

    await run_once(mail_settings, "worker-1")
    [mail] = smtp.inbox.to("olena@example.org")
    assert mail["From"].addresses[0].display_name == "Integrationsbüro Bensheim"
    assert mail["From"].addresses[0].addr_spec == bensheim.sender_email
    assert str(mail["Reply-To"]) == "integration@bensheim.example.org"

    # Without a Reply-To, answers go to the sender: no header.
    assert (await put(client, bensheim_headers, reply_to_email=None)).status_code == 200
    await register_for_session(session.id, "amir@example.org")
    await run_once(mail_settings, "worker-1")
    [other] = smtp.inbox.to("amir@example.org")
    assert other["Reply-To"] is None


async def test_the_logo_and_colour_show_on_the_public_pages(
    client: Any, bensheim: Any, bensheim_headers: Any
) -> None:
    assert (await put(client, bensheim_headers)).status_code == 200
    await set_logo(bensheim.id, prepare_logo(png(1200, 400)))
    page = await client.get("/m/bensheim/")
    town = await get_municipality("bensheim")
    assert town.logo_digest
    logo_url = f"/m/bensheim/logo.png?v={town.logo_digest[:12]}"
    assert f'<img class="town-logo" src="{logo_url}" alt="">' in page.text
    logo = await client.get(logo_url)
    assert logo.status_code == 200
    assert logo.headers["content-type"] == "image/png"
    assert logo.headers["x-content-type-options"] == "nosniff"
    assert "max-age=31536000" in logo.headers["cache-control"]
    with Image.open(io.BytesIO(logo.content)) as shown:
        assert shown.format == "PNG"
        assert shown.size == (480, 160)  # scaled down to what the header needs
    theme = (
        next(line for line in page.text.splitlines() if "/m/bensheim/theme.css" in line)
        .split('href="')[1]
        .split('"')[0]
    )
    assert "--town-accent: #7a1f5c" in (await client.get(theme)).text
    assert (await client.get("/m/butzbach/logo.png")).status_code == 404


@pytest.mark.parametrize(
    ("upload", "reason"),
    [
        (b"", "is empty"),
        (b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', "PNG or JPEG"),
        (b"GIF89a" + b"\x00" * 100, "PNG or JPEG"),
        (b"\x89PNG\r\n\x1a\n" + b"not really a picture", "could not be read"),
        (png(5000, 4000), "too many pixels"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * MAX_BYTES, "larger than"),
    ],
)
async def test_only_real_png_and_jpeg_logos_of_modest_size_are_taken(
    upload: bytes, reason: str
) -> None:
    with pytest.raises(InvalidInput) as refused:
        prepare_logo(upload)
    assert reason in refused.value.fields["logo"]


def test_a_jpeg_logo_becomes_our_own_png_without_its_metadata() -> None:
    out = io.BytesIO()
    Image.new("RGB", (200, 100), "#123456").save(out, format="JPEG", comment=b"secret")
    logo = prepare_logo(out.getvalue() + b"<script>trailing</script>")
    assert logo.png.startswith(b"\x89PNG")
    assert b"secret" not in logo.png
    assert b"script" not in logo.png

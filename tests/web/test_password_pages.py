"""Forgot password and the one-time links of reset and invitation mails, as pages
(web/accounts.py), with the mails through the worker to a real SMTP server."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.factories import PASSWORD, SECRET, login_headers, make_admin, make_guide
from tests.pages import csrf_token, submit
from treffpunkt.accounts import links
from treffpunkt.accounts.tables import AccountLink
from treffpunkt.notifications.worker import run_once
from treffpunkt.outbox import OutboxMessage

NEW = "ein neues langes Passwort"


def text_of(message: Any) -> str:
    return str(message.get_body(preferencelist=("plain",)).get_content())


def link_in(message: Any) -> str:
    found = re.search(r"http://[^\s]+/password/(?:reset|set)/[A-Za-z0-9_-]+", text_of(message))
    assert found, text_of(message)
    return found.group(0).removeprefix("http://testserver")


async def forgot(client: Any, email: str) -> Any:
    return await submit(client, "/password/forgot", "/password/forgot", {"email": email})


async def test_forgot_password_answers_alike_and_mails_a_link_that_works_once(
    app: Any, client: Any, bensheim: Any, mail_settings: Any, smtp: Any
) -> None:
    guide = await make_guide(bensheim, "guide@example.org")
    other = await login_headers(client, guide["email"])
    known = await forgot(client, "guide@example.org")
    unknown = await forgot(client, "nobody@example.org")
    for answer in (known, unknown):
        assert answer.status_code == 303
        assert answer.headers["location"] == "/password/forgot/sent"
    sent = await client.get("/password/forgot/sent")
    assert "E-Mails" in sent.text  # German, the default

    await run_once(mail_settings, "worker-1")
    [mail] = smtp.inbox.to("guide@example.org")
    assert mail["Subject"] == "Neues Passwort für treffpunkt festlegen"
    assert "Stadt Bensheim" in str(mail["From"]) or "bensheim" in str(mail["From"])
    path = link_in(mail)
    assert path.startswith("/password/reset/")
    assert await AccountLink.count() == 1
    assert path.rpartition("/")[2] not in str(await OutboxMessage.select())  # not stored

    form = await client.get(path)
    assert form.status_code == 200
    assert 'autocomplete="new-password"' in form.text
    assert "guide@example.org" in form.text
    token = csrf_token(form)
    short = await client.post(
        path, data={"_csrf_token": token, "password": "kurz", "password_repeat": "kurz"}
    )
    assert short.status_code == 422
    assert "mindestens 12 Zeichen" in short.text
    differ = await client.post(
        path, data={"_csrf_token": token, "password": NEW, "password_repeat": NEW + "x"}
    )
    assert differ.status_code == 422
    assert "stimmen nicht überein" in differ.text
    assert NEW not in differ.text  # passwords are never written back into the page
    done = await client.post(
        path, data={"_csrf_token": token, "password": NEW, "password_repeat": NEW}
    )
    assert done.status_code == 303
    assert done.headers["location"] == "/password/done"
    assert (await client.get("/api/v1/auth/me", headers=other)).status_code == 401
    await login_headers(client, guide["email"], NEW)

    again = await client.get(path)
    assert again.status_code == 410
    assert "schon benutzt" in again.text
    second = await client.post(
        path, data={"_csrf_token": token, "password": PASSWORD, "password_repeat": PASSWORD}
    )
    assert second.status_code == 410
    await login_headers(client, guide["email"], NEW)  # the second use changed nothing


async def test_expired_unknown_and_malformed_links_say_so_kindly(
    app: Any, client: Any, bensheim: Any
) -> None:
    guide = await make_guide(bensheim, "guide@example.org")
    await links.send_password_reset(None, guide["id"], SECRET)
    link = await AccountLink.select().first()
    assert link is not None
    await AccountLink.update(
        {AccountLink.expires_at: datetime.now(UTC) - timedelta(minutes=1)}
    ).where(AccountLink.id == link["id"])
    path = f"/password/reset/{links.link_token(SECRET, link['token_salt'])}"
    expired = await client.get(path)
    assert expired.status_code == 410
    assert "abgelaufen" in expired.text
    assert 'href="/password/forgot"' in expired.text
    for bad in ("x" * 43, "short", "%0A" * 30, "a" * 500):
        answer = await client.get(f"/password/reset/{bad}")
        assert answer.status_code == 404, bad
    english = await client.get(path + "?lang=en")
    assert "This link does not work any more" in english.text


async def test_an_invitation_link_sets_the_first_password(
    app: Any, client: Any, bensheim: Any, mail_settings: Any, smtp: Any
) -> None:
    await links.invite_guide(bensheim.id, "neu@example.org", "Neu Guide", SECRET)
    await run_once(mail_settings, "worker-1")
    [mail] = smtp.inbox.to("neu@example.org")
    assert mail["Subject"] == "Ihr treffpunkt-Zugang bei Stadt Bensheim"
    path = link_in(mail)
    assert path.startswith("/password/set/")
    page = await client.get(path)
    assert "Willkommen, Neu Guide!" in page.text
    answer = await client.post(
        path,
        data={"_csrf_token": csrf_token(page), "password": NEW, "password_repeat": NEW},
    )
    assert answer.status_code == 303
    await login_headers(client, "neu@example.org", NEW)


async def test_forms_without_the_csrf_token_are_refused(
    app: Any, client: Any, bensheim: Any
) -> None:
    await make_guide(bensheim, "guide@example.org")
    await client.get("/password/forgot")
    answer = await client.post("/password/forgot", data={"email": "guide@example.org"})
    assert answer.status_code == 403
    assert await AccountLink.count() == 0


@pytest.mark.counts_to_a_limit
async def test_forgot_password_counts_like_the_login(app: Any, client: Any) -> None:
    page = await client.get("/password/forgot")
    token = csrf_token(page)
    statuses = [
        (
            await client.post(
                "/password/forgot", data={"_csrf_token": token, "email": f"n{i}@example.org"}
            )
        ).status_code
        for i in range(25)
    ]
    assert statuses[0] == 303
    assert statuses[-1] == 429  # TREFFPUNKT_LOGIN_ATTEMPTS_PER_CLIENT (20/minute)


async def test_bad_addresses_get_the_form_again(app: Any, client: Any) -> None:
    answer = await forgot(client, "not an address\n")
    assert answer.status_code == 422
    assert "name@example.org" in answer.text
    assert await AccountLink.count() == 0


async def test_admins_get_the_same_answer(app: Any, client: Any) -> None:
    await make_admin("admin@platform.example")
    answer = await forgot(client, "admin@platform.example")
    assert answer.status_code == 303

"""The platform admin's pages (web/admin/towns.py) and the password change
(web/account.py), as a browser uses them over HTTP: forms with CSRF, 303 after
success, 422 with the typed values kept, 404 for what does not belong, 403 for guides."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.factories import PASSWORD, make_admin, make_guide
from tests.pages import csrf_token
from tests.smtp import free_port
from tests.web.workspace import logged_in_client
from treffpunkt.accounts import links
from treffpunkt.accounts.tables import Account, AccountLink
from treffpunkt.municipalities.tables import Municipality
from treffpunkt.notifications.check import Outcome, send_test_mail
from treffpunkt.outbox import OutboxMessage

ADMIN = "admin@platform.example"
NEW = "ein ganz neues Passwort"


async def post(client: httpx.AsyncClient, page: str, action: str, **data: Any) -> httpx.Response:
    opened = await client.get(page)
    assert opened.status_code == 200, opened.text
    return await client.post(action, data={"_csrf_token": csrf_token(opened), **data})


@pytest.fixture
async def admin(app: Any, bensheim: Any, butzbach: Any) -> Any:
    await make_admin(ADMIN)
    async with logged_in_client(app, ADMIN) as client:
        yield client


TOWN = "/admin/municipalities/bensheim"
SETTINGS = {
    "name": "Stadt Bensheim",
    "contact_email": "integration@bensheim.example",
    "sender_name": "Integration Bensheim",
    "sender_email": "integration@bensheim.example",
    "default_locale": "de",
    "offered_locales": ["de", "ar"],
    "time_zone": "Europe/Berlin",
    "retention_days": "400",
}


async def test_the_admin_lists_creates_and_changes_municipalities(admin: Any) -> None:
    home = await admin.get("/admin/")
    assert 'href="/admin/municipalities"' in home.text
    listed = await admin.get("/admin/municipalities")
    assert "Stadt Bensheim" in listed.text
    assert "Stadt Butzbach" in listed.text

    fields = {**SETTINGS, "slug": "bad-vilbel", "name": "Stadt Bad Vilbel"}
    bad = await post(
        admin,
        "/admin/municipalities/new",
        "/admin/municipalities/new",
        **{**fields, "slug": "Bad Vilbel!", "sender_email": "kein"},
    )
    assert bad.status_code == 422
    assert "Adressnamen" in bad.text
    assert 'value="Stadt Bad Vilbel"' in bad.text  # typed values kept
    assert await Municipality.count() == 2
    made = await post(admin, "/admin/municipalities/new", "/admin/municipalities/new", **fields)
    assert made.status_code == 303
    assert made.headers["location"] == "/admin/municipalities/bad-vilbel"
    town = await Municipality.objects().where(Municipality.slug == "bad-vilbel").first()
    assert town.offered_locales == ["de", "ar"]
    assert town.retention_days == 400
    taken = await post(admin, "/admin/municipalities/new", "/admin/municipalities/new", **fields)
    assert taken.status_code == 422
    assert "vergeben" in taken.text

    changed = await post(admin, TOWN, TOWN, **{**SETTINGS, "name": "Stadt Bensheim a. d. B."})
    assert changed.status_code == 303
    assert "gespeichert" in (await admin.get(changed.headers["location"])).text
    town = await Municipality.objects().where(Municipality.slug == "bensheim").first()
    assert town.name == "Stadt Bensheim a. d. B."
    broken = await post(
        admin, TOWN, TOWN, **{**SETTINGS, "name": "Zwei\nZeilen", "retention_days": "5"}
    )
    assert broken.status_code == 422
    assert 'href="#field-name"' in broken.text
    assert 'href="#field-retention_days"' in broken.text
    town = await Municipality.objects().where(Municipality.slug == "bensheim").first()
    assert town.name == "Stadt Bensheim a. d. B."  # nothing half-written
    assert (await admin.get("/admin/municipalities/nowhere")).status_code == 404


async def test_inviting_a_guide_resending_and_resetting(admin: Any, bensheim: Any) -> None:
    invited = await post(
        admin, TOWN, f"{TOWN}/guides", email="Neu@Example.org", display_name="Neu Guide"
    )
    assert invited.status_code == 303
    page = await admin.get(invited.headers["location"])
    assert "Neu Guide" in page.text
    assert "noch kein Passwort" in page.text
    guide = await Account.objects().where(Account.email == "neu@example.org").first()
    assert guide.municipality == bensheim.id
    again = await post(admin, TOWN, f"{TOWN}/guides", email="neu@example.org", display_name="X")
    assert again.status_code == 409
    assert "Es gibt schon einen Zugang" in again.text
    empty = await post(admin, TOWN, f"{TOWN}/guides", email="", display_name="")
    assert empty.status_code == 422
    assert await Account.count() == 2  # the admin and the new guide

    resent = await post(admin, TOWN, f"{TOWN}/guides/{guide.id}/invitation")
    assert resent.headers["location"].endswith("done=invitation")
    assert await AccountLink.count() == 2
    assert await AccountLink.count().where(AccountLink.revoked_at.is_null()) == 1
    mails = await OutboxMessage.select(OutboxMessage.kind).where(
        OutboxMessage.recipient_email == "neu@example.org"
    )
    assert [m["kind"] for m in mails] == [links.ACCOUNT_INVITATION] * 2

    older = await make_guide(bensheim, "alt@example.org")
    reset = await post(admin, TOWN, f"{TOWN}/guides/{older['id']}/reset")
    assert reset.headers["location"].endswith("done=reset")
    no_invitation = await post(admin, TOWN, f"{TOWN}/guides/{older['id']}/invitation")
    assert no_invitation.headers["location"].endswith("done=has-password")


async def test_another_towns_guide_is_not_found_under_this_town(admin: Any, butzbach: Any) -> None:
    foreign = await make_guide(butzbach, "guide@butzbach.example")
    for action in ("invitation", "reset", "active"):
        for account_id in (foreign["id"], 2**63 - 1, 2**31):
            answer = await post(admin, TOWN, f"{TOWN}/guides/{account_id}/{action}", active="no")
            assert answer.status_code == 404, (action, account_id)
    assert (await Account.objects().where(Account.id == foreign["id"]).first()).active
    assert await AccountLink.count() == 0


async def test_deactivating_a_guide_ends_their_session_at_once(
    app: Any, admin: Any, bensheim: Any
) -> None:
    guide = await make_guide(bensheim, "guide@example.org")
    async with logged_in_client(app, guide["email"]) as session:
        assert (await session.get("/guide/")).status_code == 200
        off = await post(admin, TOWN, f"{TOWN}/guides/{guide['id']}/active", active="no")
        assert off.headers["location"].endswith("done=deactivated-guide")
        ended = await session.get("/guide/")
        assert ended.status_code == 303
        assert ended.headers["location"].startswith("/login")
    on = await post(admin, TOWN, f"{TOWN}/guides/{guide['id']}/active", active="yes")
    assert on.headers["location"].endswith("done=reactivated")
    async with logged_in_client(app, guide["email"]) as session:
        assert (await session.get("/guide/")).status_code == 200


async def test_deactivating_a_town_hides_it_and_logs_its_guides_out(
    app: Any, admin: Any, client: Any, bensheim: Any
) -> None:
    guide = await make_guide(bensheim, "guide@example.org")
    async with logged_in_client(app, guide["email"]) as session:
        off = await post(admin, TOWN, f"{TOWN}/active", active="no")
        assert off.status_code == 303
        assert (await session.get("/guide/")).status_code == 303
        assert (await client.get("/m/bensheim/")).status_code == 404
        assert (await client.get("/api/v1/municipalities/bensheim")).status_code == 404
        page = await admin.get(TOWN)  # the admin still sees it
        assert "deaktiviert" in page.text
    login = await client.post(
        "/api/v1/auth/login", json={"email": guide["email"], "password": PASSWORD}
    )
    assert login.status_code == 401
    await post(admin, TOWN, f"{TOWN}/active", active="yes")
    assert (await client.get("/m/bensheim/")).status_code == 200


async def test_guides_and_strangers_do_not_get_in(app: Any, client: Any, bensheim: Any) -> None:
    guide = await make_guide(bensheim, "guide@example.org")
    stranger = await client.get("/admin/municipalities")
    assert stranger.status_code == 303
    assert stranger.headers["location"].startswith("/login")
    async with logged_in_client(app, guide["email"]) as session:
        for path in ("/admin/", "/admin/municipalities", TOWN, "/admin/mail"):
            assert (await session.get(path)).status_code == 403, path
        page = await session.get("/account/password")
        forged = await session.post(
            f"{TOWN}/active", data={"_csrf_token": csrf_token(page), "active": "no"}
        )
        assert forged.status_code == 403
    assert (await Municipality.objects().where(Municipality.slug == "bensheim").first()).active


async def test_forms_without_csrf_or_with_forged_values_are_refused(admin: Any) -> None:
    answer = await admin.post(f"{TOWN}/active", data={"active": "no"})
    assert answer.status_code == 403
    for value in ("maybe", "", "no\n"):
        forged = await post(admin, TOWN, f"{TOWN}/active", active=value)
        assert forged.status_code == 422, value
    assert (await Municipality.objects().where(Municipality.slug == "bensheim").first()).active


async def test_the_mail_check_page_says_where_mail_went(admin: Any) -> None:
    page = await admin.get("/admin/mail")
    assert "Kein SMTP-Server" in page.text
    answer = await post(
        admin,
        "/admin/mail",
        "/admin/mail",
        recipient="someone@example.org",
        municipality="bensheim",
    )
    assert answer.status_code == 200
    assert "lokalen Mail-Ordner" in answer.text
    bad = await post(admin, "/admin/mail", "/admin/mail", recipient="x", municipality="nowhere")
    assert bad.status_code == 422
    assert 'href="#field-recipient"' in bad.text
    assert 'href="#field-municipality"' in bad.text


async def test_the_test_mail_goes_through_the_smtp_server_and_refusals_are_shown(
    app: Any, bensheim: Any, mail_settings: Any, smtp: Any
) -> None:
    sent = await send_test_mail(mail_settings, "someone@example.org", bensheim)
    assert sent.outcome is Outcome.sent
    [mail] = smtp.inbox.to("someone@example.org")
    assert mail["Subject"] == "treffpunkt-Testmail"
    smtp.inbox.refuse.add("nobody@example.org")
    refused = await send_test_mail(mail_settings, "nobody@example.org", bensheim)
    assert refused.outcome is Outcome.refused
    assert "550" in refused.detail
    closed = mail_settings.model_copy(update={"smtp_port": free_port()})
    failed = await send_test_mail(closed, "someone@example.org", bensheim)
    assert failed.outcome is Outcome.failed


async def test_changing_ones_password_ends_the_other_sessions(app: Any, bensheim: Any) -> None:
    guide = await make_guide(bensheim, "guide@example.org")
    async with (
        logged_in_client(app, guide["email"]) as here,
        logged_in_client(app, guide["email"]) as elsewhere,
    ):
        page = "/account/password"
        wrong = await post(
            here, page, page, current_password="falsch", password=NEW, password_repeat=NEW
        )
        assert wrong.status_code == 422
        assert "nicht Ihr aktuelles Passwort" in wrong.text
        short = await post(
            here, page, page, current_password=PASSWORD, password="kurz", password_repeat="kurz"
        )
        assert short.status_code == 422
        done = await post(
            here, page, page, current_password=PASSWORD, password=NEW, password_repeat=NEW
        )
        assert done.status_code == 303
        assert (await here.get("/guide/")).status_code == 200
        assert (await elsewhere.get("/guide/")).status_code == 303
    async with logged_in_client(app, guide["email"], NEW) as again:
        assert (await again.get("/guide/")).status_code == 200


async def test_an_admin_changes_their_password_too(admin: Any) -> None:
    page = "/account/password"
    done = await post(
        admin, page, page, current_password=PASSWORD, password=NEW, password_repeat=NEW
    )
    assert done.status_code == 303
    assert "Ihr Passwort ist geändert" in (await admin.get(done.headers["location"])).text

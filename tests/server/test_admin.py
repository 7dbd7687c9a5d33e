"""The admin dashboard's routes: who gets in, what each page shows, what never shows."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from tests.analytics.records import known_calls, start
from tests.conftest import FLOWS_DIR
from voicebot.pipeline.stack import EmbeddedSpeechStack
from voicebot.server.admin import auth
from voicebot.server.app import AppContext, build_context, create_app
from voicebot.settings import Settings

ADMIN = "admin-token-for-tests"
BEARER = {"Authorization": f"Bearer {ADMIN}"}
PAGES = ("/admin", "/admin/funnel", "/admin/calls", "/admin/calls/CA01", "/admin/live",
         "/admin/flows", "/admin/funnel/acme_support.svg")  # fmt: skip
APIS = ("/admin/api/report", "/admin/api/calls", "/admin/api/live", "/admin/api/flows",
        "/admin/api/funnel/acme_support")  # fmt: skip


def context(tmp_path: Path, speech: EmbeddedSpeechStack, token: str | None) -> AppContext:
    settings = Settings(flows_dir=FLOWS_DIR, db_path=tmp_path / "c.db", admin_token=token)
    ctx = build_context(settings, host="127.0.0.1", speech=speech)
    known_calls(ctx.store)
    return ctx


@pytest.fixture
async def client(tmp_path: Path, speech: EmbeddedSpeechStack) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(context(tmp_path, speech, ADMIN))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c


async def login(client: httpx.AsyncClient, token: str = ADMIN) -> httpx.Response:
    return await client.post("/admin/login", data={"token": token, "next": "/admin/calls"})


async def test_without_the_token_pages_redirect_to_login_and_the_api_is_401(
    client: httpx.AsyncClient,
) -> None:
    for path in PAGES:
        response = await client.get(path)
        assert response.status_code == 303, path
        assert response.headers["location"].startswith("/admin/login?next=")
    for path in APIS:
        response = await client.get(path)
        assert response.status_code == 401, path
        wrong = await client.get(path, headers={"Authorization": "Bearer nope"})
        assert wrong.status_code == 401, path
    login_page = await client.get("/admin/login")
    assert login_page.status_code == 200 and 'name="token"' in login_page.text


async def test_scripts_get_in_with_the_bearer_token(client: httpx.AsyncClient) -> None:
    for path in PAGES + APIS:
        response = await client.get(path, headers=BEARER)
        assert response.status_code == 200, path
    report = (await client.get("/admin/api/report", headers=BEARER)).json()
    assert report["calls"] == 9 and report["containment"]["contained"] == 1


async def test_login_sets_a_signed_httponly_samesite_cookie(client: httpx.AsyncClient) -> None:
    refused = await login(client, "wrong")
    assert refused.status_code == 401 and "not the admin token" in refused.text
    assert auth.COOKIE not in client.cookies
    response = await login(client)
    assert response.status_code == 303 and response.headers["location"] == "/admin/calls"
    cookie = response.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/admin" in cookie
    assert ADMIN not in cookie
    assert (await client.get("/admin/calls")).status_code == 200
    # A cookie edited by hand is no session.
    client.cookies.set(auth.COOKIE, client.cookies[auth.COOKIE] + "x", path="/admin")
    assert (await client.get("/admin/calls")).status_code == 303
    await client.post("/admin/logout")


async def test_a_login_link_never_sends_people_elsewhere(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/admin/login", data={"token": ADMIN, "next": "https://evil.example/admin"}
    )
    assert response.headers["location"] == "/admin"


async def test_the_dashboard_is_off_without_a_configured_token(
    tmp_path: Path, speech: EmbeddedSpeechStack
) -> None:
    app = create_app(context(tmp_path, speech, None))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        empty = await c.get("/admin/api/report", headers={"Authorization": "Bearer "})
        assert empty.status_code == 401
        assert (await c.post("/admin/login", data={"token": ""})).status_code == 401
        assert "VOICEBOT_ADMIN_TOKEN" in (await c.get("/admin/login")).text


async def test_the_call_list_filters_narrow_it(client: httpx.AsyncClient) -> None:
    async def sids(query: str) -> list[str]:
        found = (await client.get(f"/admin/api/calls?{query}", headers=BEARER)).json()
        return sorted(c["call_sid"] for c in found)

    assert len(await sids("")) == 9
    assert await sids("outcome=transferred&queue=priority") == ["CA05", "CA06"]
    assert await sids("reason=caller_hung_up") == ["CA08"]
    assert await sids("emotion=angry") == ["CA05"]
    assert await sids("flow=card_services") == []
    page = (await client.get("/admin/calls?reason=crisis", headers=BEARER)).text
    assert "CA06" in page and "CA05" not in page


async def test_bad_filter_values_get_one_clear_error(client: httpx.AsyncClient) -> None:
    response = await client.get("/admin/api/calls?since=yesterdayish", headers=BEARER)
    assert response.status_code == 400
    assert "is not a date or time" in response.json()["detail"]


async def test_the_call_page_shows_turns_masked_as_recorded(
    client: httpx.AsyncClient, tmp_path: Path
) -> None:
    page = (await client.get("/admin/calls/CA01", headers=BEARER)).text
    assert "check_balance" in page and "collect_pin" in page
    assert "****" in page and "v1" in page
    missing = await client.get("/admin/calls/CA404", headers=BEARER)
    assert missing.status_code == 404


async def test_transcripts_are_escaped_not_run(client: httpx.AsyncClient) -> None:
    ctx = client._transport.app.state.ctx  # type: ignore[attr-defined]
    start(ctx.store, "CAX").said("greet", "greet", "no_match", transcript="<script>x()</script>")
    page = (await client.get("/admin/calls/CAX", headers=BEARER)).text
    assert "<script>x()" not in page and "&lt;script&gt;" in page


async def test_flow_health_lists_loaded_versions(client: httpx.AsyncClient) -> None:
    health = (await client.get("/admin/api/flows", headers=BEARER)).json()
    assert {f["flow"] for f in health["loaded"]} == {"acme_support", "card_services"}
    assert all(len(f["version"]) == 16 for f in health["loaded"])
    assert (await client.get("/admin/api/live", headers=BEARER)).json()[0]["call_sid"] == "CA09"


async def test_a_store_that_cannot_be_read_is_one_clear_503(client: httpx.AsyncClient) -> None:
    ctx = client._transport.app.state.ctx  # type: ignore[attr-defined]
    ctx.store.close()
    response = await client.get("/admin/api/report", headers=BEARER)
    assert response.status_code == 503
    assert response.json()["detail"].startswith("call store unavailable: ")

"""The REST call update against a fake Twilio on loopback: exact URL, auth, TwiML, retries."""

from __future__ import annotations

from tests.transfer.fake_twilio import fake_twilio
from voicebot.twilio.rest import TwilioCallUpdater, TwilioCredentials

ACCOUNT = "AC" + "1" * 32
CALL = "CA" + "2" * 32
TOKEN = "secret-token"
TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response><Enqueue>billing</Enqueue></Response>'


def updater(base_url: str, username: str = ACCOUNT, password: str = TOKEN) -> TwilioCallUpdater:
    creds = TwilioCredentials(ACCOUNT, username, password)
    return TwilioCallUpdater(creds, base_url=base_url, timeout=2.0, backoff=0.01)


async def test_update_posts_the_twiml_to_the_calls_resource_with_basic_auth() -> None:
    async with fake_twilio(ACCOUNT, TOKEN) as twilio:
        result = await updater(twilio.base_url).update(CALL, TWIML)
    assert result.ok and result.attempts == 1
    [request] = twilio.requests
    assert request.method == "POST"
    assert request.path == f"/2010-04-01/Accounts/{ACCOUNT}/Calls/{CALL}.json"
    assert (request.username, request.password) == (ACCOUNT, TOKEN)
    assert request.form == {"Twiml": TWIML}


async def test_api_key_and_secret_authenticate_instead_of_the_auth_token() -> None:
    key = "SK" + "3" * 32
    async with fake_twilio(key, "key-secret") as twilio:
        result = await updater(twilio.base_url, key, "key-secret").update(CALL, TWIML)
    assert result.ok
    assert twilio.requests[0].path == f"/2010-04-01/Accounts/{ACCOUNT}/Calls/{CALL}.json"


async def test_429_and_500_are_retried_until_twilio_accepts() -> None:
    async with fake_twilio(ACCOUNT, TOKEN) as twilio:
        twilio.statuses = [429, 503]
        result = await updater(twilio.base_url).update(CALL, TWIML)
    assert result.ok and result.attempts == 3
    assert result.errors == ["HTTP 429", "HTTP 503"]
    assert len(twilio.requests) == 3


async def test_persistent_500_gives_up_after_the_attempts() -> None:
    async with fake_twilio(ACCOUNT, TOKEN) as twilio:
        twilio.statuses = [500, 500, 500, 500]
        result = await updater(twilio.base_url).update(CALL, TWIML)
    assert not result.ok and result.attempts == 3
    assert len(twilio.requests) == 3


async def test_wrong_credentials_are_not_retried() -> None:
    async with fake_twilio(ACCOUNT, "other") as twilio:
        result = await updater(twilio.base_url).update(CALL, TWIML)
    assert not result.ok and result.attempts == 1 and result.errors == ["HTTP 401"]


async def test_unreachable_api_is_retried_then_reported() -> None:
    result = await updater("http://127.0.0.1:9").update(CALL, TWIML)
    assert not result.ok and result.attempts == 3

"""TwiML answers and X-Twilio-Signature checks."""

from __future__ import annotations

from voicebot.twilio import signature, twiml


def test_connect_stream_twiml() -> None:
    body = twiml.connect_stream(
        "wss://bot.example.com/twilio/stream",
        "https://bot.example.com/twilio/after-stream",
        {"caller": "+441234567890"},
    )
    assert body == (
        '<?xml version="1.0" encoding="UTF-8"?><Response>'
        '<Connect action="https://bot.example.com/twilio/after-stream">'
        '<Stream url="wss://bot.example.com/twilio/stream">'
        '<Parameter name="caller" value="+441234567890" /></Stream></Connect>'
        "<Hangup /></Response>"
    )


def test_signature_round_trip_and_forgery() -> None:
    url = "https://bot.example.com/twilio/voice"
    params = {"CallSid": "CA1", "From": "+441234567890"}
    good = signature.sign("secret", url, params)
    assert signature.is_valid("secret", url, params, good)
    assert not signature.is_valid("other-token", url, params, good)
    assert not signature.is_valid("secret", url, {**params, "From": "+1"}, good)
    assert not signature.is_valid("secret", url, params, None)


def test_public_url_prefers_configured_base() -> None:
    assert (
        signature.public_url(
            "ws", "127.0.0.1:8080", "/twilio/stream", "", "https://bot.example.com"
        )
        == "wss://bot.example.com/twilio/stream"
    )
    assert (
        signature.public_url("http", "127.0.0.1:8080", "/twilio/voice", "flow=x")
        == "http://127.0.0.1:8080/twilio/voice?flow=x"
    )

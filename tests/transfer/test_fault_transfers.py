"""A backend that fails or hangs: the transfer goes out the moment the fault is known, with the
apology at the head of its TwiML (voicebot's own start-up audio, which Twilio plays as the
stream ends), instead of after voicebot has streamed the apology. Real server on loopback,
the caller simulator, a fake Twilio REST API on loopback."""

from __future__ import annotations

import io
import os
import wave
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest

from tests.conftest import DEMO_AUDIO, FLOWS_DIR
from tests.e2e.conftest import events, wait_for_end
from tests.transfer.conftest import ACCOUNT, TOKEN, Bench, twilio_settings
from tests.transfer.failing_stages import BrokenTTS, FaultyStack, HungTTS
from tests.transfer.fake_twilio import fake_twilio
from voicebot.audio.codec import ulaw_decode
from voicebot.pipeline.apologies import apologies
from voicebot.pipeline.stack import EmbeddedSpeechStack
from voicebot.server.app import build_context
from voicebot.settings import Settings
from voicebot.speech.espeak_tts import EspeakTTSService
from voicebot.tools import demo_backend
from voicebot.tools.demo import local_server
from voicebot.tools.simulator.caller import CallerSimulator, CallResult
from voicebot.tools.simulator.scenario import Keys, Scenario, Silence, Speak
from voicebot.twilio.twiml import FAULT_APOLOGY_PATH

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("open_hours")]

UP_TO_THE_LOOKUP = Scenario(
    "lookup_hangs",
    (
        Speak(DEMO_AUDIO / "check_my_balance.wav"),
        Speak(DEMO_AUDIO / "account_number_spoken.wav"),
        Speak(DEMO_AUDIO / "yes.wav"),
        Keys("1234"),
    ),
)


@contextmanager
def hung_billing() -> Iterator[None]:
    """The billing system answering past the flow's 1.5 s timeout, for the block. The bench's
    own billing URL is put back after (not with monkeypatch: its undo runs after the bench's
    server has removed the variable, and would leave a dead URL for later tests)."""
    before = os.environ.get(demo_backend.ENV_VAR)
    with demo_backend.BillingBackend(delay_secs=2.5) as url:
        os.environ[demo_backend.ENV_VAR] = url
        try:
            yield
        finally:
            if before is None:
                del os.environ[demo_backend.ENV_VAR]
            else:
                os.environ[demo_backend.ENV_VAR] = before


def loudest(result: CallResult) -> int:
    """The loudest sample of everything the bot streamed."""
    pcm = ulaw_decode(b"".join(audio for _, audio in result.bot_audio))
    return int(np.abs(np.frombuffer(pcm, dtype="<i2")).max(initial=0))


def apology_head(port: int) -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8"?><Response>'
        f"<Play>http://127.0.0.1:{port}{FAULT_APOLOGY_PATH}</Play>"
    )


async def tts_fault_call(
    tmp_path: Path, speech: EmbeddedSpeechStack, tts: type[EspeakTTSService]
) -> tuple[Bench, Any, dict[str, Any]]:
    async with fake_twilio(ACCOUNT, TOKEN) as twilio:
        settings = twilio_settings(tmp_path, twilio.base_url)
        stack: Any = FaultyStack(speech, tts=tts, budget_secs=0.5)
        async with local_server(build_context(settings, host="127.0.0.1", speech=stack)) as server:
            bench = Bench(server, twilio)
            result, record = await bench.call(Scenario("tts_down", (Silence(4.0),)))
            async with httpx.AsyncClient() as client:
                played = await client.get(f"http://127.0.0.1:{server.port}{FAULT_APOLOGY_PATH}")
    assert played.status_code == 200 and played.headers["content-type"] == "audio/wav"
    with wave.open(io.BytesIO(played.content)) as wav:
        assert (wav.getframerate(), wav.getnchannels(), wav.getsampwidth()) == (8000, 1, 2)
        assert wav.readframes(wav.getnframes()) == apologies().fault
    return bench, result, record


@pytest.mark.parametrize("tts", [BrokenTTS, HungTTS], ids=["erroring", "hanging"])
async def test_a_tts_fault_sends_the_transfer_with_the_apology_at_once(
    tmp_path: Path, speech: EmbeddedSpeechStack, tts: type[EspeakTTSService]
) -> None:
    bench, result, record = await tts_fault_call(tmp_path, speech, tts)

    [fault] = events(record, "backend_fault")
    assert fault["stage"].startswith(tts.__name__)
    packet = bench.handoff(result.call_sid)["packet"]
    assert packet["reason"].startswith("backend_fault:") and packet["queue"] == "general"
    [update] = bench.twilio.requests
    port = bench.server.port
    assert update.form["Twiml"].startswith(apology_head(port))
    assert update.form["Twiml"].endswith(">general</Enqueue></Response>")
    # Nothing was streamed: the apology is Twilio's to play (it was not streamed first and
    # the transfer sent only after it, as before).
    assert loudest(result) < 100  # (pipecat ends a stream with 2 s of silence)
    assert result.ended_by == "bot" and record["end_reason"] == "transferred"


async def test_a_hung_billing_system_transfers_with_the_apology_without_waiting_for_words(
    bench: Bench,
) -> None:
    # Past the flow's 1.5 s timeout: "one moment" is heard at 1 s, then the fault.
    with hung_billing():
        result, record = await bench.call(UP_TO_THE_LOOKUP)

    kinds = [e["kind"] for e in record["events"]]
    assert kinds.index("holding_phrase") < kinds.index("webhook") < kinds.index("transfer_via")
    [lookup] = events(record, "webhook")
    assert lookup["ok"] is False
    [update] = bench.twilio.requests
    # The flow's own words for the failure (its on_failure node), said by Twilio.
    assert update.form["Twiml"] == (
        '<?xml version="1.0" encoding="UTF-8"?><Response><Say>'
        "I'm sorry, I can't find that account right now. "
        "Let me put you through to our billing team.</Say>"
        f'<Enqueue action="http://127.0.0.1:{bench.server.port}/twilio/queue-result?queue=billing">'
        "billing</Enqueue></Response>"
    )
    assert bench.handoff(result.call_sid)["packet"]["reason"] == "backend_fault:webhook"
    # The holding phrase was cut off for the transfer rather than played out.
    assert result.clears >= 1
    assert record["end_reason"] == "transferred"


async def test_a_slow_rest_update_on_a_fault_is_given_up_for_after_stream(
    bench: Bench,
) -> None:
    bench.twilio.delay = 3.0  # past FAULT_REST_SECS
    with hung_billing():
        result, record = await bench.call(UP_TO_THE_LOOKUP)
    [via] = events(record, "transfer_via")
    assert (via["method"], via["ok"]) == ("rest", False)
    assert via["errors"] == ["no answer within 1.0 s"]
    assert result.ended_by == "bot"
    # Twilio asks after-stream: the same TwiML, apology first.
    twiml = await bench.after_stream(result.call_sid)
    assert twiml.startswith(
        """<?xml version="1.0" encoding="UTF-8"?><Response><Say>I'm sorry, I can't find"""
    ), twiml
    assert ">billing</Enqueue>" in twiml


async def test_without_credentials_a_fault_closes_the_stream_and_after_stream_apologises(
    tmp_path: Path, speech: EmbeddedSpeechStack
) -> None:
    settings = Settings(flows_dir=FLOWS_DIR, db_path=tmp_path / "calls.db")
    stack: Any = FaultyStack(speech, tts=BrokenTTS, budget_secs=0.5)
    async with local_server(build_context(settings, host="127.0.0.1", speech=stack)) as server:
        result = await CallerSimulator(server.stream_url).run(Scenario("down", (Silence(4.0),)))
        record = await wait_for_end(server, result.call_sid)
        handoff = server.ctx.store.call_handoff(result.call_sid)
    assert handoff is not None and handoff["status"] == "awaiting_after_stream"
    assert handoff["twiml"].startswith(apology_head(server.port))
    assert [e["method"] for e in events(record, "transfer_via")] == ["after_stream"]
    assert result.ended_by == "bot"


async def test_a_hung_recogniser_is_a_fault_not_a_silence(
    bench: Bench, speech: EmbeddedSpeechStack, tmp_path: Path
) -> None:
    stack: Any = FaultyStack(speech, hung_stt=True, time_limit_secs=0.5)
    settings = twilio_settings(tmp_path, bench.twilio.base_url)
    async with local_server(build_context(settings, host="127.0.0.1", speech=stack)) as server:
        hung = Bench(server, bench.twilio)
        result, record = await hung.call(Scenario("stt_hangs", (Speak(DEMO_AUDIO / "agent.wav"),)))
    [fault] = events(record, "backend_fault")
    assert fault["stage"].startswith("PocketsphinxSTTService")
    [update] = bench.twilio.requests
    assert update.form["Twiml"].startswith(apology_head(server.port))
    assert not events(record, "caller_said")  # no turn was made up
    assert result.ended_by == "bot" and record["end_reason"] == "transferred"

"""Per-stage cost of the natural-language stack: tiny test models, then real ones if present.

Part 1 builds the tests' tiny models (a random-weight Whisper, a tone-making piper graph, a
loopback ollama-compatible server) to show what the plumbing itself costs: model load,
resampling, the decode pool, sentence streaming and the LLM client's streaming/budgets.

Part 2 measures real models where this machine has them, each skipped with the reason when
absent: the models extra's whisper tiny.en and base (int8, 2 threads) per utterance on the
demo recordings, then their accuracy on real human speech over μ-law (../shared/audio:
real_speech, and 8-digit numbers joined from spoken_digits, --numbers per speaker); piper
time to first audio and real-time factor with VOICEBOT_PIPER_VOICE (default: joe); ollama time
to first token with VOICEBOT_OLLAMA_URL / VOICEBOT_OLLAMA_MODEL.

    python bench/nl_stages.py [--runs 5] [--numbers 10] [--skip-tiny] [--skip-real]

A script, not a test: the figures depend on the machine and what else it is doing.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import re
import statistics
import sys
import tempfile
import time
import wave
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # the tiny model builders live with the tests

from voicebot import logs  # noqa: E402
from voicebot.audio.codec import resample, ulaw_decode, ulaw_encode  # noqa: E402

logs.configure("WARNING")  # before pipecat is imported: it logs a banner on import

from tests.nl.fake_ollama import FakeOllamaServer, Reply  # noqa: E402
from tests.nl.tiny_models import build_tiny_piper, build_tiny_whisper  # noqa: E402
from voicebot.dialogue.actions import Expectation, SlotExpectation  # noqa: E402
from voicebot.llm.client import Budget, LLMClient, LLMError  # noqa: E402
from voicebot.settings import Settings  # noqa: E402
from voicebot.speech.piper_tts import PiperVoiceModel  # noqa: E402
from voicebot.speech.whisper_stt import (  # noqa: E402
    ModelMissingError,
    WhisperConfig,
    WhisperRecognizer,
)

DEMO = REPO / "audio_fixtures" / "demo"
UTTERANCES = ["check_my_balance", "account_number_spoken", "agent", "yes", "out_of_grammar"]
MENU = Expectation(
    node="greet",
    intents={"check_balance": ("check my balance",), "agent": ("agent",)},
    slot=None,
)
ACCOUNT = Expectation(
    node="acc", slot=SlotExpectation("account_number", "digits", min_length=8, max_length=8)
)
REPLY = "Your balance is 42.10 pounds. It is due on 14 March. Is there anything else?"

Row = tuple[str, str, str, str]
rows: list[Row] = []


def ms(secs: float) -> str:
    return f"{secs * 1000:.1f} ms"


def timed(fn: Callable[[], object], runs: int) -> tuple[float, float]:
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples), max(samples)


def load_demo(name: str) -> bytes:
    path = DEMO / f"{name}.wav"
    if not path.is_file():
        return b"\x00\x00" * 8000
    with wave.open(str(path)) as w:
        return w.readframes(w.getnframes())


def add(stage: str, what: str, median: str, note: str = "") -> None:
    rows.append((stage, what, median, note))


def bench_whisper(model: str, label: str, runs: int, numbers: int = 0) -> None:
    try:
        start = time.perf_counter()
        recognizer = WhisperRecognizer(WhisperConfig(model=model, threads=2))
        add("stt", f"{label} load", ms(time.perf_counter() - start))
    except ModelMissingError as exc:
        add("stt", label, "skipped", f"{exc.reason}; fetch: {exc.fetch}")
        return
    recognizer.warm_up()
    for name in UTTERANCES:
        audio = load_demo(name)
        expect = ACCOUNT if "account" in name else MENU
        median, worst = timed(lambda a=audio, e=expect: recognizer.recognize(a, 8000, e), runs)
        heard = recognizer.recognize(audio, 8000, expect)
        secs = len(audio) / 16000
        add(
            "stt",
            f"{label} {name} ({secs:.1f} s)",
            ms(median),
            f"max {ms(worst)}; RTF {median / secs:.2f}; conf {heard.confidence:.2f}",
        )
    if numbers:
        bench_accuracy(recognizer, label, numbers)


def bench_piper(voice: PiperVoiceModel, label: str, runs: int) -> None:
    def first_audio() -> None:
        next(iter(voice.sentences(REPLY, (None, None))))

    def all_audio() -> None:
        for _ in voice.sentences(REPLY, (None, None)):
            pass

    all_audio()  # warm up: espeak's phonemiser loads its data on first use
    median, worst = timed(first_audio, runs)
    add("tts", f"{label} first audio (1st of 3 sentences)", ms(median), f"max {ms(worst)}")
    median, worst = timed(all_audio, runs)
    secs = sum(len(a) for a in voice.sentences(REPLY, (None, None))) / voice.sample_rate
    add("tts", f"{label} whole reply", ms(median), f"max {ms(worst)}; RTF {median / secs:.3f}")


SHARED = REPO.parent / "shared" / "audio"
DIGIT_WORDS = dict(
    zip(
        ["zero", "oh", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"],
        "00123456789",
        strict=True,
    )
)


def telephone(pcm: bytes, rate: int) -> bytes:
    return ulaw_decode(ulaw_encode(resample(pcm, rate, 8000)))


def read_wav(path: Path) -> tuple[bytes, int]:
    with wave.open(str(path)) as w:
        return w.readframes(w.getnframes()), w.getframerate()


def as_digits(text: str) -> str:
    tokens = re.findall(r"[a-z]+|\d", text.lower())
    return "".join(t if t.isdigit() else DIGIT_WORDS.get(t, "") for t in tokens)


def bench_accuracy(recognizer: WhisperRecognizer, label: str, numbers: int) -> None:
    """Real human speech over μ-law: ../shared/audio real_speech (word-exact) and 8-digit
    account numbers joined from spoken_digits (3 speakers, exact before any read-back)."""
    if not SHARED.is_dir():
        add("stt", f"{label} accuracy", "skipped", f"{SHARED} is absent")
        return
    files = sorted((SHARED / "real_speech").glob("*.wav"))
    exact, decode = 0, []
    for path in files:
        pcm, rate = read_wav(path)
        result = recognizer.recognize(telephone(pcm, rate), 8000, ACCOUNT)
        decode.append(result.decode_ms)
        want = path.stem.replace("_", " ").replace("ten", "10")
        got = " ".join(re.sub(r"[^a-z0-9 ]", " ", result.text.lower()).split())
        exact += got == want or as_digits(got) == as_digits(want) != ""
    add("stt", f"{label} real_speech exact", f"{exact}/{len(files)}", "μ-law 8 kHz")
    rng = random.Random(7)
    per_speaker = []
    for speaker in ("george", "jackson", "lucas"):
        hits = 0
        for _ in range(numbers):
            number = "".join(rng.choice("0123456789") for _ in range(8))
            parts = [b"\x00\x00" * 1600]
            for digit in number:
                pcm, _rate = read_wav(
                    SHARED / "spoken_digits" / f"{digit}_{speaker}_{rng.randrange(50)}.wav"
                )
                parts += [pcm, b"\x00\x00" * 1200]
            result = recognizer.recognize(telephone(b"".join(parts), 8000), 8000, ACCOUNT)
            decode.append(result.decode_ms)
            hits += as_digits(result.text) == number
        per_speaker.append(f"{speaker} {hits}/{numbers}")
    total = sum(int(p.split()[1].split("/")[0]) for p in per_speaker)
    add(
        "stt",
        f"{label} 8-digit numbers exact",
        f"{total}/{3 * numbers}",
        f"{', '.join(per_speaker)}; decode median {statistics.median(decode):.0f} ms",
    )


async def bench_ollama(url: str, model: str, label: str, runs: int) -> None:
    client = LLMClient(url, model, budget=Budget(first_token_secs=10, total_secs=30))
    messages = [{"role": "user", "content": "Say hello to a caller in one short sentence."}]
    firsts, totals = [], []
    try:
        for _ in range(runs):
            done = await client.complete(messages)
            firsts.append(done.first_token_ms / 1000)
            totals.append(done.total_ms / 1000)
    except LLMError as exc:
        add("llm", label, "skipped", f"{exc}; fetch: ollama pull {model}")
        return
    add("llm", f"{label} first token", ms(statistics.median(firsts)), f"max {ms(max(firsts))}")
    add("llm", f"{label} whole reply", ms(statistics.median(totals)), f"max {ms(max(totals))}")


def tiny(runs: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        start = time.perf_counter()
        whisper_dir = build_tiny_whisper(folder / "whisper")
        add("stt", "tiny-random build (CTranslate2 spec)", ms(time.perf_counter() - start))
        bench_whisper(str(whisper_dir), "tiny-random", runs)
        start = time.perf_counter()
        voice = PiperVoiceModel(build_tiny_piper(folder / "piper"))
        add("tts", "tiny-onnx build + load", ms(time.perf_counter() - start))
        bench_piper(voice, "tiny-onnx", runs)
        with FakeOllamaServer() as server:
            server.script(*[Reply(content="Hello, how can I help?", pieces=5)] * runs)
            asyncio.run(bench_ollama(server.url, "tiny:latest", "loopback fake", runs))


def real(runs: int, numbers: int) -> None:
    settings = Settings.from_env()
    for name in ("tiny.en", "base"):  # the models extra's (base: the models-base extra)
        bench_whisper(name, name, runs, numbers)
    try:
        voice = PiperVoiceModel(settings.piper_voice)
    except ModelMissingError as exc:
        add("tts", f"piper {settings.piper_voice}", "skipped", f"{exc}")
    else:
        bench_piper(voice, f"piper {voice.onnx_path.stem}", runs)
    asyncio.run(
        bench_ollama(settings.ollama_url, settings.ollama_model, settings.ollama_model, runs)
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--skip-tiny", action="store_true")
    parser.add_argument("--skip-real", action="store_true")
    parser.add_argument(
        "--numbers", type=int, default=10, help="8-digit numbers per speaker (0: no accuracy)"
    )
    args = parser.parse_args()
    if not args.skip_tiny:
        tiny(args.runs)
    if not args.skip_real:
        real(args.runs, args.numbers)
    widths = [max(len(r[i]) for r in [*rows, ("stage", "what", "median", "")]) for i in range(3)]
    header = ("stage", "what", "median", "notes")
    for row in [header, *rows]:
        print("  ".join(cell.ljust(w) for cell, w in zip(row[:3], widths, strict=True)), row[3])


if __name__ == "__main__":
    main()

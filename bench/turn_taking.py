"""End of the caller's turn with and without Smart Turn, on caller audio the project does not
tune on: the human recordings in ../shared/audio/real_speech/, the piper voice (when
installed) and espeak-ng voices the project never uses, as 8 kHz μ-law with line hiss.

Each utterance goes through the VAD stage (`TurnVADProcessor`) at real-time pacing, a 20 ms
frame every 20 ms, so Smart Turn's inference takes the time it would on a call. Prints:

(a) caller stops → end of turn (p50/p95, ms of audio) on complete utterances;
(b) utterances with a mid-sentence pause (the pause at a comma, or the quietest point of a
    human recording, made 0.4-0.7 s) cut into two turns ("cut early"), and complete ones cut
    at a short pause of their own ("whole cut");
(c) Smart Turn's CPU time per inference (median ms).

For a menu's wait (0.3 s) and a dictation wait (0.8 s: digit strings in groups).

    python bench/turn_taking.py [--quick] [--streams 4]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from pipecat.frames.frames import EndFrame, Frame, InputAudioRawFrame, VADUserStoppedSpeakingFrame
from pipecat.pipeline.pipeline import Pipeline
from pipecat.pipeline.worker import PipelineParams, PipelineWorker
from pipecat.processors.frame_processor import FrameDirection, FrameProcessor
from pipecat.workers.runner import WorkerRunner

sys.path.insert(0, str(Path(__file__).resolve().parent))
from understanding import ESPEAK_HELD_OUT, piper_voice  # noqa: E402

from voicebot.audio.codec import (  # noqa: E402
    TELEPHONE_RATE,
    normalise_peak,
    resample,
    to_telephone,
    ulaw_decode,
)
from voicebot.audio.wavfile import read_wav  # noqa: E402
from voicebot.dialogue.actions import Expectation, SlotExpectation  # noqa: E402
from voicebot.speech.frames import ExpectationFrame  # noqa: E402
from voicebot.speech.smart_turn import SmartTurn  # noqa: E402
from voicebot.speech.turn_vad import TurnVADProcessor  # noqa: E402
from voicebot.speech.webrtc_vad import WebRTCVADAnalyzer  # noqa: E402
from voicebot.tools.replay.audio import add_noise, real_speech_dir, synthesise  # noqa: E402

FRAME = 160  # samples: 20 ms at 8 kHz
LEAD, TAIL = 0.5, 1.5  # line before and after the speech, seconds
HISS = 0.002  # line noise, RMS as a fraction of full scale (about -54 dBFS)
MENU = Expectation(node="greet", intents={"agent": ("agent",)})
ACCOUNT = Expectation(
    node="collect_account",
    slot=SlotExpectation("account_number", "digits", min_length=8, max_length=8),
)
# (first half, second half): said whole, and with a pause at the comma.
PHRASES = [
    ("I'd like to", "check the balance on my account"),
    ("Can you tell me", "when my next bill is due"),
    ("I need to speak to", "somebody about a refund"),
    ("The power has been off", "since early this morning"),
    ("I was hoping that", "you could move my payment date"),
    ("My card was declined", "when I tried to pay online"),
    ("Could I have", "a copy of my last statement"),
    ("I think there is", "a mistake on my bill"),
]
DIGITS = [("four four one two", "one two three four"), ("seven seven", "three five eight three")]
GAPS = (0.4, 0.5, 0.6, 0.7)


@dataclass
class Utterance:
    label: str
    expect: Expectation
    whole: bytes  # 8 kHz PCM, said without a pause
    paused: bytes  # the same with a 0.4-0.7 s mid-sentence pause

    @property
    def speech_end(self) -> float:
        """The 20 ms frame at which the caller stops in `whole`."""
        return (len(self.whole) - 2 * TAIL * TELEPHONE_RATE) / (2 * FRAME)


def frames_rms(pcm: bytes, size: int = 80) -> np.ndarray:
    x = np.frombuffer(pcm, dtype="<i2").astype(np.float64)
    x = x[: len(x) // size * size].reshape(-1, size)
    return np.sqrt((x**2).mean(axis=1))


def threshold(rms: np.ndarray) -> float:
    """Speech is 35 dB within the loudest 10 ms, and 12 dB above the recording's floor."""
    return max(float(rms.max()) / 56, float(np.percentile(rms, 10)) * 4)


def speech_span(pcm: bytes) -> tuple[int, int]:
    """Byte offsets of the start and end of speech."""
    rms = frames_rms(pcm)
    loud = np.flatnonzero(rms > threshold(rms))
    return int(loud[0]) * 160, (int(loud[-1]) + 1) * 160


def stretch_gap(pcm: bytes, secs: float) -> bytes:
    """`secs` of silence in the quietest 30 ms of the middle half of the speech (a comma's
    pause, or between two words): the caller pauses mid-sentence there."""
    rms = frames_rms(pcm)
    n = len(rms)
    window = np.convolve(rms, np.ones(3) / 3, mode="same")[n // 4 : 3 * n // 4]
    at = (n // 4 + int(np.argmin(window))) * 160
    return pcm[:at] + bytes(2 * int(secs * TELEPHONE_RATE)) + pcm[at:]


def telephone(pcm: bytes, rate: int, seed: str, gap: float | None = None) -> bytes:
    """Trimmed to its speech (its inner pause stretched to `gap` s), on 0.5 s of line before
    and 1.5 s after, hiss, μ-law."""
    narrow = resample(pcm, rate, TELEPHONE_RATE) if rate != TELEPHONE_RATE else pcm
    narrow = normalise_peak(narrow)
    start, end = speech_span(narrow)
    narrow = narrow[start:end]
    if gap is not None:
        narrow = stretch_gap(narrow, gap)
    line = bytes(int(2 * LEAD * TELEPHONE_RATE)) + narrow + bytes(int(2 * TAIL * TELEPHONE_RATE))
    return ulaw_decode(to_telephone(add_noise(line, HISS, seed), TELEPHONE_RATE))


def espeak(voice: str) -> Callable[[str], tuple[bytes, int]]:
    def speak(text: str) -> tuple[bytes, int]:
        return synthesise(text, voice=voice), TELEPHONE_RATE

    return speak


def utterances(quick: bool) -> Iterator[Utterance]:
    voices: list[tuple[str, Callable[[str], tuple[bytes, int]]]] = []
    for voice in ESPEAK_HELD_OUT[: 1 if quick else None]:
        voices.append((voice, espeak(voice)))
    speak_piper = None if quick else piper_voice()
    if speak_piper is not None:
        voices.append(("piper:joe", lambda text: (speak_piper(text), TELEPHONE_RATE)))
    n = 0
    for voice, speak in voices:
        for expect, phrases in ((MENU, PHRASES[: 3 if quick else None]), (ACCOUNT, DIGITS)):
            for first, second in phrases:
                whole, rate = speak(f"{first} {second}")
                comma, rate = speak(f"{first}, {second}")
                gap, n = GAPS[n % len(GAPS)], n + 1
                paused = telephone(comma, rate, first, gap)
                yield Utterance(f"{voice}: {first} {second}", expect,
                                telephone(whole, rate, first), paused)  # fmt: skip
    human = real_speech_dir()
    for path in sorted(human.glob("*.wav")) if human.is_dir() else []:
        pcm, rate = read_wav(path)
        expect = ACCOUNT if path.name.startswith("digits") else MENU
        gap, n = GAPS[n % len(GAPS)], n + 1
        paused = telephone(pcm, rate, path.name, gap)
        yield Utterance(f"human: {path.stem}", expect, telephone(pcm, rate, path.name), paused)


class Stops(FrameProcessor):
    """Counts the audio frames that reach it, and notes the count at each end of turn."""

    def __init__(self) -> None:
        super().__init__()
        self.frames = 0
        self.stops: list[int] = []

    async def process_frame(self, frame: Frame, direction: FrameDirection) -> None:
        await super().process_frame(frame, direction)
        if isinstance(frame, InputAudioRawFrame):
            self.frames += 1
        elif isinstance(frame, VADUserStoppedSpeakingFrame):
            self.stops.append(self.frames)
        await self.push_frame(frame, direction)


async def turn_ends(
    pcm: bytes, expect: Expectation, smart: SmartTurn | None
) -> tuple[list[int], list[float]]:
    """The frame index of each end of turn the VAD stage gives this audio, at real time, and
    Smart Turn's verdicts."""
    vad = TurnVADProcessor(vad_analyzer=WebRTCVADAnalyzer(), smart_turn=smart)
    sink = Stops()
    params = PipelineParams(audio_in_sample_rate=TELEPHONE_RATE)
    worker = PipelineWorker(Pipeline([vad, sink]), params=params, cancel_on_idle_timeout=False)
    started = asyncio.Event()

    @worker.event_handler("on_pipeline_started")
    async def _started(_worker: PipelineWorker, _frame: Frame) -> None:
        started.set()

    async def feed() -> None:
        await started.wait()
        await worker.queue_frame(ExpectationFrame(expect=expect))
        loop = asyncio.get_running_loop()
        t0 = loop.time()
        for i in range(0, len(pcm) // 2 // FRAME):
            chunk = pcm[i * FRAME * 2 : (i + 1) * FRAME * 2]
            await worker.queue_frame(InputAudioRawFrame(chunk, TELEPHONE_RATE, 1))
            await asyncio.sleep(max(0.0, t0 + (i + 1) * 0.02 - loop.time()))
        await asyncio.sleep(0.1)
        await worker.queue_frame(EndFrame())

    runner = WorkerRunner(handle_sigint=False)
    await runner.add_workers(worker)
    await asyncio.gather(runner.run(), feed())
    return sink.stops, vad.verdicts


def fmt(verdicts: list[float]) -> str:
    return ",".join(f"{p:.2f}" for p in verdicts) or "-"


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


async def measure(
    items: list[Utterance], smart: SmartTurn | None, streams: int, verbose: bool
) -> dict[str, dict[str, list[float]]]:
    gate = asyncio.Semaphore(streams)

    async def one(item: Utterance) -> tuple[Utterance, list[int], list[int]]:
        async with gate:
            whole, said = await turn_ends(item.whole, item.expect, smart)
            paused, held = await turn_ends(item.paused, item.expect, smart)
        if verbose:
            print(f"  {item.label[:50]:50} whole {fmt(said)} paused {fmt(held)} "
                  f"turns {len(whole)}/{len(paused)}")  # fmt: skip
        return item, whole, paused

    results = await asyncio.gather(*(one(i) for i in items))
    out: dict[str, dict[str, list[float]]] = {}
    for item, whole, paused in results:
        wait = "menu" if item.expect is MENU else "dictation"
        row = out.setdefault(wait, {"ms": [], "cut": [], "split": []})
        if whole:
            row["ms"].append((whole[0] - item.speech_end) * 20)
        row["cut"].append(len(paused) > 1)
        row["split"].append(len(whole) > 1)
    return out


def cpu_ms(model: SmartTurn, items: list[Utterance]) -> float:
    times = []
    for item in items:
        start = time.thread_time()
        model.probability(item.whole, TELEPHONE_RATE)
        times.append((time.thread_time() - start) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="one voice, three phrases")
    parser.add_argument("--streams", type=int, default=4, help="utterances at the same time")
    parser.add_argument("--verbose", action="store_true", help="each utterance's verdicts")
    args = parser.parse_args()
    items = list(utterances(args.quick))
    model = SmartTurn()
    model.warm_up()
    print(f"{len(items)} utterances, {args.streams} streams at real time")
    print(f"{'wait':10} {'smart turn':11} {'n':>3} {'end p50':>8} {'end p95':>8} {'cut early':>10}"
          f" {'whole cut':>10}")  # fmt: skip
    for label, smart in (("off", None), ("on", model)):
        figures = asyncio.run(measure(items, smart, args.streams, args.verbose))
        for wait, row in figures.items():
            ms, cut, split = row["ms"], row["cut"], row["split"]
            print(f"{wait:10} {label:11} {len(cut):3} {percentile(ms, 50):6.0f}ms "
                  f"{percentile(ms, 95):6.0f}ms {sum(cut):7}/{len(cut)} "
                  f"{sum(split):7}/{len(split)}")  # fmt: skip
    print(f"Smart Turn CPU per inference: median {cpu_ms(model, items):.0f} ms")


if __name__ == "__main__":
    main()

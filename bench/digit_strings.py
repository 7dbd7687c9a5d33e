"""Spoken 8-digit account numbers, heard by whisper with and without the digits-only second
decode (`voicebot.speech.whisper_digits`), in one run, on numbers and voices never tuned on.

Each number is drawn at random (seeded), said digit by digit by the espeak-ng voices the
project never uses, one it uses, the piper voice (joe) and three human speakers (a different
recording of each digit from ../shared/audio/spoken_digits each time), band-limited to 8 kHz
with line noise and μ-law encoded. It is decoded at the demo flow's account-number node, as
the call decodes it. Off-topic speech said at that node (the held-out off-topic turns of
bench/data/understanding.yaml and a few things callers say there instead of a number) shows
what the second decode makes of words.

Prints, per voice and overall: numbers right before the read-back with the second decode off
and on, how many turns were decoded twice, off-topic turns given an 8-digit number, and the
decode time of the turns decoded twice.

    python bench/digit_strings.py [--numbers 10] [--model tiny.en|base|DIR] [--voices V…]

A script, not a test: the figures depend on the machine and on whisper's sampling fallback.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from understanding import (  # noqa: E402
    DATA,
    ESPEAK_HELD_OUT,
    ESPEAK_PROJECT,
    NOISE,
    TODAY,
    piper_voice,
    telephone,
)

from voicebot import logs  # noqa: E402
from voicebot.audio.codec import TELEPHONE_RATE  # noqa: E402
from voicebot.audio.wavfile import read_wav  # noqa: E402
from voicebot.dialogue.actions import CallStarted, Expectation  # noqa: E402
from voicebot.dialogue.engine import DialogueEngine  # noqa: E402
from voicebot.dialogue.slots.digits import parse_digits  # noqa: E402
from voicebot.flows.loader import load_flow  # noqa: E402
from voicebot.speech.whisper_digits import fits_slot  # noqa: E402
from voicebot.tools.replay.audio import real_speech_dir, synthesise  # noqa: E402

WORDS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
HUMANS = ("george", "jackson", "lucas")
TAKES = 50  # recordings of each digit per speaker
ELSEWHERE = (  # what callers say at the account prompt instead of the number
    "I don't know my account number",
    "hang on, let me find it",
    "it's on the bill somewhere",
    "can I give you my postcode instead",
)


def account_expectation() -> Expectation:
    nodes = yaml.safe_load(DATA.read_text())["nodes"]["digits"]
    flow = load_flow(ROOT / "dialog_flows" / f"{nodes['flow']}.yaml")
    engine = DialogueEngine(flow.model_copy(update={"start": nodes["node"]}), call_sid="bench",
                            today=TODAY)  # fmt: skip
    engine.handle(CallStarted("bench"))
    return engine.expectation()


def human_number(speaker: str, number: str, rng: random.Random) -> bytes | None:
    folder = real_speech_dir().parent / "spoken_digits"
    parts = []
    for digit in number:
        path = folder / f"{digit}_{speaker}_{rng.randrange(TAKES)}.wav"
        if not path.exists():
            return None
        pcm, _ = read_wav(path)
        parts += [pcm, b"\x00\x00" * int(TELEPHONE_RATE * rng.uniform(0.1, 0.3))]
    return telephone(b"".join(parts), TELEPHONE_RATE, speaker + number)


def turns(voices: list[str], numbers: int, seed: int) -> list[tuple[str, str, bytes]]:
    """(voice, the number or "" for off-topic, 8 kHz audio)."""
    rng = random.Random(seed)
    said = [[str(rng.randrange(10)) for _ in range(8)] for _ in range(numbers)]
    speak_piper = piper_voice()
    out: list[tuple[str, str, bytes]] = []
    off_topic = [t for t, _ in yaml.safe_load(DATA.read_text())["heldout"]["off_topic"]]
    for digits in said:
        number, text = "".join(digits), " ".join(WORDS[int(d)] for d in digits)
        for voice in voices:
            out.append((voice, number, synthesise(text, voice=voice, rate=150, noise=NOISE)))
        if speak_piper is not None:
            out.append(("piper:joe", number, speak_piper(text)))
        for speaker in HUMANS:
            audio = human_number(speaker, number, rng)
            if audio is not None:
                out.append((f"human:{speaker}", number, audio))
    for text in [*off_topic, *ELSEWHERE]:
        for voice in voices:
            out.append((voice, "", synthesise(text, voice=voice, rate=150, noise=NOISE)))
        if speak_piper is not None:
            out.append(("piper:joe", "", speak_piper(text)))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--numbers", type=int, default=10, help="numbers per voice")
    parser.add_argument("--model", default="tiny.en")
    parser.add_argument("--voices", nargs="*", default=[*ESPEAK_HELD_OUT, *ESPEAK_PROJECT])
    parser.add_argument("--seed", type=int, default=20261201)
    args = parser.parse_args()
    logs.configure("ERROR")
    from voicebot.speech.whisper_stt import WhisperConfig, WhisperRecognizer

    expect = account_expectation()
    account = expect.slot
    assert account is not None, "the account-number node collects no slot"
    once = WhisperRecognizer(WhisperConfig(model=args.model, digits_decode=False))
    twice = WhisperRecognizer(WhisperConfig(model=args.model, digits_decode=True))
    once.warm_up()
    twice.warm_up()
    tally: dict[str, list[int]] = {}  # voice -> [numbers, right off, right on, decoded twice]
    wrong_numbers = [0, 0, 0]  # off-topic turns; of them, given a number: one decode, second
    twice_ms: list[float] = []
    todo = turns(args.voices, args.numbers, args.seed)
    print(f"{len(todo)} turns at the account-number node ({args.model})", flush=True)
    for voice, number, audio in todo:
        a = once.recognize(audio, TELEPHONE_RATE, expect)
        b = twice.recognize(audio, TELEPHONE_RATE, expect)
        if b.digits_decoded:
            twice_ms.append(b.decode_ms)
        heard_a = parse_digits(a.text) or ""
        heard_b = parse_digits(b.text) or ""
        if not number:
            wrong_numbers[0] += 1
            wrong_numbers[1] += fits_slot(a.text, account)
            wrong_numbers[2] += fits_slot(b.text, account)
            continue
        row = tally.setdefault(voice, [0, 0, 0, 0])
        row[0] += 1
        row[1] += heard_a == number
        row[2] += heard_b == number
        row[3] += b.digits_decoded
    print(f"\n{'voice':16} {'numbers':>7} {'right, one decode':>18} {'right, with second':>19}"
          f" {'decoded twice':>14}")  # fmt: skip
    total = [0, 0, 0, 0]
    for voice, row in tally.items():
        total = [t + r for t, r in zip(total, row, strict=True)]
        print(f"{voice:16} {row[0]:7} {row[1]:18} {row[2]:19} {row[3]:14}")
    n = max(total[0], 1)
    print(f"{'all':16} {total[0]:7} {total[1]:11} ({100 * total[1] / n:3.0f} %)"
          f" {total[2]:12} ({100 * total[2] / n:3.0f} %) {total[3]:14}")  # fmt: skip
    print(
        f"off-topic turns at the node given an account number: {wrong_numbers[1]} of "
        f"{wrong_numbers[0]} with one decode, {wrong_numbers[2]} with the second"
    )
    if twice_ms:
        p50 = statistics.median(twice_ms)
        worst = max(twice_ms)
        print(f"turns decoded twice: whole decode p50 {p50:.0f} ms, max {worst:.0f} ms")


if __name__ == "__main__":
    main()

"""How much of whisper's loss on the synthetic voices is the telephone line, not the words.

Each held-out turn of chosen categories of bench/data/understanding.yaml is spoken by the
espeak-ng voices of bench/understanding.py and decoded by whisper at the turn's node four
ways: wideband (16 kHz, as the synthesiser made it), band-limited to 8 kHz, 8 kHz through
μ-law, and 8 kHz μ-law with the benchmark's line noise (what bench/understanding.py and a
call hear). A turn is right as bench/understanding.py judges it (the engine stores the slot
value or takes the intent; a check question does not count), without the grammar
cross-check. Prints right turns per form and category, so a change to the front end or the
model can be judged against what the line costs.

Usage: python bench/telephone_band.py [--categories dates yes_no paraphrase] [--voices V…]
                                      [--model tiny.en]
"""

from __future__ import annotations

import argparse
import sys
from collections import defaultdict
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

import understanding as bench  # noqa: E402

from voicebot import logs  # noqa: E402
from voicebot.audio.codec import TELEPHONE_RATE, resample  # noqa: E402
from voicebot.dialogue.matcher import IntentMatcher  # noqa: E402
from voicebot.flows.loader import load_flow  # noqa: E402
from voicebot.language.embedding import MiniLMEmbedder  # noqa: E402
from voicebot.speech.espeak import EspeakSynthesizer  # noqa: E402
from voicebot.tools.replay.audio import normalise_peak, synthesise  # noqa: E402

WIDE_RATE = 16000
FORMS = ("wideband 16 kHz", "8 kHz", "8 kHz μ-law", "8 kHz μ-law + noise")


def forms(text: str, voice: str) -> dict[str, tuple[bytes, int]]:
    """The turn wideband, band-limited, and through μ-law without and with the line noise
    (the last two as bench/understanding.py speaks its turns)."""
    pcm, rate = EspeakSynthesizer().synthesize(text, voice=voice, rate=150)
    return {
        FORMS[0]: (normalise_peak(resample(pcm, rate, WIDE_RATE)), WIDE_RATE),
        FORMS[1]: (normalise_peak(resample(pcm, rate, TELEPHONE_RATE)), TELEPHONE_RATE),
        FORMS[2]: (synthesise(text, voice=voice, rate=150), TELEPHONE_RATE),
        FORMS[3]: (synthesise(text, voice=voice, rate=150, noise=bench.NOISE), TELEPHONE_RATE),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--categories", nargs="+", default=["dates", "yes_no", "paraphrase"])
    parser.add_argument(
        "--voices", nargs="+", default=[*bench.ESPEAK_HELD_OUT, *bench.ESPEAK_PROJECT]
    )
    parser.add_argument("--model", default="tiny.en")
    args = parser.parse_args()
    logs.configure("ERROR")
    data = yaml.safe_load(bench.DATA.read_text())
    unknown = [c for c in args.categories if c not in bench.CATEGORY_NODE or c == "noise"]
    if unknown:
        parser.error(f"no such spoken category: {', '.join(unknown)}")
    flows = {name: load_flow(ROOT / "dialog_flows" / f"{name}.yaml")
             for name in {n["flow"] for n in data["nodes"].values()}}  # fmt: skip
    matcher = IntentMatcher(MiniLMEmbedder())
    stack = bench.Stack("open", flows, matcher, args.model, cross_check=False)
    right: dict[tuple[str, str], int] = defaultdict(int)
    total: dict[str, int] = defaultdict(int)
    for category in args.categories:
        where = data["nodes"][bench.CATEGORY_NODE[category]]
        for text, meaning in data["heldout"].get(category, []):
            for voice in args.voices:
                total[category] += 1
                for form, (audio, rate) in forms(text, voice).items():
                    turn = bench.Turn(category, text, str(meaning), voice, audio)
                    right[(category, form)] += understood(stack, turn, rate, where)
        print(f"  {category}: done", file=sys.stderr, flush=True)
    print(f"\n{args.model}, voices: {', '.join(args.voices)}; right turns per form of the audio")
    print(f"{'category':12}" + "".join(f"| {f:^20}" for f in FORMS))
    for category in args.categories:
        print(f"{category:12}" + "".join(
            f"| {right[(category, f)]:>8}/{total[category]:<11}" for f in FORMS))  # fmt: skip


def understood(stack: bench.Stack, turn: bench.Turn, rate: int, where: dict[str, str]) -> bool:
    """Whether the engine does what the turn's label says (bench.judge: right, not checked)."""
    actions, engine, _ms, _heard = stack.run(turn, where, rate)
    return bench.judge(turn, where, actions, engine, stack)[0] == "right"


if __name__ == "__main__":
    main()

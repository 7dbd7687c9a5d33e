"""What the embedded recogniser's free phone-loop decode buys at the account-number node, and
what it costs.

pocketsphinx decodes every turn twice: against the node's grammar, and freely as a phone
loop, the yardstick its confidence is measured against (`voicebot.speech.recognizer`). The
demo fixtures' phone loops take 206 of a call's 369 ms of pocketsphinx CPU, and pocketsphinx
is about a third of the server's CPU (README, capacity), so this measures whether it can go.
The turns are bench/digit_strings.py's (fresh 8-digit numbers in the espeak-ng voices, piper
joe and three human speakers; off-topic turns said at the same node), decoded as a call
decodes them, once with the phone-loop check and once with only the grammar's own checks (a
whole sentence of the grammar, words covering the turn's loud frames). Prints, for each:
numbers right, wrong numbers accepted, off-topic turns given a number; and the CPU time per
turn of the grammar decode and of the phone-loop decode.

    python bench/yardstick.py [--numbers 4] [--seed 777] [--voices V…]

A script, not a test: the figures depend on the machine.
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from digit_strings import account_expectation, turns  # noqa: E402
from understanding import ESPEAK_HELD_OUT, ESPEAK_PROJECT  # noqa: E402

from voicebot import logs  # noqa: E402
from voicebot.audio.codec import TELEPHONE_RATE  # noqa: E402
from voicebot.dialogue.slots.digits import parse_digits  # noqa: E402
from voicebot.speech import recognizer  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--numbers", type=int, default=4, help="numbers per voice")
    parser.add_argument("--seed", type=int, default=777)
    parser.add_argument("--voices", nargs="*", default=[*ESPEAK_HELD_OUT, *ESPEAK_PROJECT])
    args = parser.parse_args()
    logs.configure("ERROR")
    expect = account_expectation()
    deciders = {
        "phone-loop check (as shipped)": recognizer.PocketsphinxRecognizer(max_decoders=1),
        # A gap threshold of -inf accepts whatever passes the grammar's own checks.
        "grammar checks only": recognizer.PocketsphinxRecognizer(
            max_decoders=1, reject_gap=-math.inf
        ),
    }
    timer = recognizer._Decoder()
    search = timer.grammar_search(recognizer._grammar_for(expect))
    todo = turns(args.voices, args.numbers, args.seed)
    numbers = sum(1 for _, number, _ in todo if number)
    print(f"{len(todo)} turns at the account-number node: {numbers} numbers, "
          f"{len(todo) - numbers} off-topic", flush=True)  # fmt: skip
    tally = {name: [0, 0, 0] for name in deciders}  # right, wrong number, off-topic number
    grammar_ms: list[float] = []
    loop_ms: list[float] = []
    for _, number, audio in todo:
        for name, decider in deciders.items():
            heard = decider.recognize(audio, TELEPHONE_RATE, expect)
            value = "" if heard.rejected else parse_digits(heard.text) or ""
            if value:
                tally[name][0 if value == number else 1 if number else 2] += 1
        prepared = recognizer._prepare(audio, TELEPHONE_RATE)
        started = time.process_time()
        timer.decode(search, prepared)
        middle = time.process_time()
        timer.decode(recognizer._PHONE_LOOP, prepared)
        grammar_ms.append((middle - started) * 1000)
        loop_ms.append((time.process_time() - middle) * 1000)
    off_topic = len(todo) - numbers
    for name, (right, wrong, given) in tally.items():
        print(f"  {name:30} numbers right {right}/{numbers}, wrong numbers accepted {wrong}, "
              f"off-topic given a number {given}/{off_topic}")  # fmt: skip
    print(f"  CPU per turn, median (total): grammar decode {statistics.median(grammar_ms):.0f} ms "
          f"({sum(grammar_ms) / 1000:.1f} s), phone-loop decode "
          f"{statistics.median(loop_ms):.0f} ms ({sum(loop_ms) / 1000:.1f} s)")  # fmt: skip


if __name__ == "__main__":
    main()

"""Whole held-out calls: caller journeys in the caller's own words, spoken by voices the
project never tunes on, from the first turn to the end of the call, on both speech stacks.

Each call of bench/data/held_out_calls.yaml (words that are neither flow example phrases nor
in the matcher's calibration set) becomes a replay scenario per voice: espeak-ng voices the
project never uses and one it uses, 150 words a minute, line noise, over the replay harness's
Twilio-faithful caller into an in-process server with the demo billing backend. A call is
right when it ends the way its script says (completed, or transferred to the queue named).
`en-us`, the voice the fixtures are made with, checks the scripts themselves and is printed
apart from the total.

    python bench/held_out_calls.py [--stacks embedded open] [--voices V…] [--misses]

A check question ("Did you say …?") is answered as a caller would: a call that went wrong
after one is placed again with the caller's "yes" after that turn (the same audio takes the
same path to it; whisper's sampling fallback can make a rerun differ). Prints per stack and
voice the calls that reached the right end, and how many of them needed a "yes" to a check.
A script, not a test.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
from collections import defaultdict
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from voicebot import logs  # noqa: E402
from voicebot.tools.demo_backend import BillingBackend  # noqa: E402
from voicebot.tools.replay import audio  # noqa: E402
from voicebot.tools.replay.runner import RunOptions, ScenarioResult, run_all  # noqa: E402

DATA = ROOT / "bench" / "data" / "held_out_calls.yaml"
HELD_OUT = ("en-gb-scotland", "en-029", "en-us-nyc")
PROJECT = ("en-us+f3",)
SCRIPT_CHECK = "en-us"
NOISE = 0.01
STT = {"embedded": "pocketsphinx", "open": "whisper"}
CHECKS = ("Did you say", "Would you like me to put you through", "Do you want to end the call")
"""The bot's check questions (dialogue/evidence.py), which a caller answers with "yes"."""


SYNTH_CACHE = Path.home() / ".cache" / "voicebot-bench" / "held_out_calls"
"""Where the callers' synthesised turns are kept (the replay harness keeps the first synthesis
of a text, so a rerun sends the same audio): outside the repository's audio_fixtures/."""
MAX_CHECKS = 2
"""Check questions a call is answered past; a third is taken as the bot not understanding."""


def script(call: dict[str, Any], voice: str) -> list[dict[str, Any]]:
    """The call's turns as scenario turns, spoken in `voice`."""
    return [
        {"say": t["say"], "voice": voice, "rate": 150, "noise": NOISE} if "say" in t else dict(t)
        for t in call["turns"]
    ]


def write_scenario(call: dict[str, Any], turns: list[dict[str, Any]], path: Path) -> Path:
    scenario = {"description": call["name"], "flow": call.get("flow", "acme_support"),
                "turns": turns, "expect": call["expect"]}  # fmt: skip
    path.write_text(yaml.safe_dump(scenario, sort_keys=False))
    return path


def check_answered(result: ScenarioResult, turns: list[dict[str, Any]]) -> list[dict] | None:
    """`turns` with a "yes" after the first check question no "yes" answers yet, or None."""
    for report in result.turns:
        if not any(check in report.bot_said for check in CHECKS):
            continue
        after = report.index  # turn reports count from 1: the next scenario turn's index
        if after < len(turns) and turns[after].get("answers_check"):
            continue
        voice = next((t["voice"] for t in turns if "voice" in t), SCRIPT_CHECK)
        yes = {"say": "yes", "voice": voice, "rate": 150, "noise": NOISE, "answers_check": True}
        return [*turns[:after], yes, *turns[after:]]
    return None


def run_stack(stack: str, paths: list[Path]) -> list[ScenarioResult]:
    os.environ["VOICEBOT_STT"] = STT[stack]
    os.environ["VOICEBOT_TTS"] = "espeak"  # the bot's voice does not change what it hears
    return asyncio.run(run_all(paths, RunOptions(speed="fast")))


def run_calls(
    stack: str, jobs: list[tuple[dict[str, Any], str]], folder: Path
) -> list[tuple[ScenarioResult, int]]:
    """Each (call, voice) run to its end; a call that met a check question is run again with
    the caller's "yes" after it (up to MAX_CHECKS times). (result, checks answered) each."""
    scripts = [script(call, voice) for call, voice in jobs]
    results: dict[int, tuple[ScenarioResult, int]] = {}
    todo = list(range(len(jobs)))
    for _ in range(MAX_CHECKS + 1):
        paths = [write_scenario(jobs[i][0], _scenario_turns(scripts[i]),
                                folder / f"{jobs[i][0]['name']}@{jobs[i][1]}.yaml")
                 for i in todo]  # fmt: skip
        again = []
        for i, result in zip(todo, run_stack(stack, paths), strict=True):
            answered = sum(1 for t in scripts[i] if t.get("answers_check"))
            results[i] = (result, answered)
            retry = check_answered(result, scripts[i]) if result.status != "pass" else None
            if retry is not None:
                scripts[i] = retry
                again.append(i)
        if not again:
            break
        todo = again
    return [results[i] for i in range(len(jobs))]


def _scenario_turns(turns: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: v for k, v in t.items() if k != "answers_check"} for t in turns]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stacks", nargs="+", default=["embedded", "open"], choices=list(STT))
    parser.add_argument("--voices", nargs="*", default=[*HELD_OUT, *PROJECT])
    parser.add_argument("--misses", action="store_true", help="print why each wrong call failed")
    args = parser.parse_args()
    logs.configure("ERROR")
    audio.SYNTH_CACHE = SYNTH_CACHE
    calls = yaml.safe_load(DATA.read_text())["calls"]
    voices = [SCRIPT_CHECK, *args.voices]
    with tempfile.TemporaryDirectory() as tmp, BillingBackend() as billing:
        os.environ["ACME_BILLING_URL"] = billing
        jobs = [(call, voice) for voice in voices for call in calls]
        print(f"{len(calls)} calls × {len(voices)} voices, stacks: {', '.join(args.stacks)}",
              flush=True)  # fmt: skip
        right: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0, 0])
        misses: list[str] = []
        for stack in args.stacks:
            for (call, voice), (result, answered) in zip(
                jobs, run_calls(stack, jobs, Path(tmp)), strict=True
            ):
                tally = right[(stack, voice)]
                tally[1] += 1
                tally[0] += result.status == "pass"
                tally[2] += result.status == "pass" and answered > 0
                if result.status != "pass":
                    misses.append(f"{stack:9} {voice:15} {call['name']:24} {result.reason[:110]}")
                    misses.extend(
                        f"{'':51} turn {t.index}: heard {t.transcript!r} -> {t.node}: "
                        f"{t.bot_said[:60]!r}"
                        for t in result.turns
                    )
            print(f"  {stack}: done", file=sys.stderr, flush=True)
    print("\nCalls that reached the right end; in brackets, how many of those after the caller")
    print('answered a check question ("Did you say …?") with yes')
    print(f"{'voice':16}" + "".join(f"{s:>14}" for s in args.stacks))
    for voice in voices:
        cells = [f"{right[(s, voice)][0]}/{right[(s, voice)][1]} ({right[(s, voice)][2]})"
                 for s in args.stacks]  # fmt: skip
        print(f"{voice:16}" + "".join(f"{cell:>14}" for cell in cells))
    print(f"{'held out, total':16}", end="")
    for stack in args.stacks:
        ok = sum(right[(stack, v)][0] for v in args.voices)
        n = sum(right[(stack, v)][1] for v in args.voices)
        print(f"{f'{ok}/{n} ({100 * ok / max(n, 1):.0f} %)':>14}", end="")
    print(f"\n(`{SCRIPT_CHECK}` checks the scripts and is not in the total)")
    if args.misses:
        print("\n".join(["", *misses]))


if __name__ == "__main__":
    main()

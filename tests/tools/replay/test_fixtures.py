"""`voicebot fixtures check|synth`: bad files are named with the reason; synth writes audio."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile

from voicebot.audio.wavfile import read_wav
from voicebot.exceptions import ConfigError
from voicebot.tools.replay.fixtures import check, is_bad, synth


def test_check_names_each_bad_file_with_its_reason(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VOICEBOT_REAL_SPEECH", str(tmp_path / "absent"))
    soundfile.write(tmp_path / "good.wav", (np.sin(np.arange(8000) / 3) * 9000).astype("<i2"), 8000)
    (tmp_path / "junk.mp3").write_bytes(b"ID3 but nothing else" * 4)
    (tmp_path / "s.yaml").write_text(
        "flow: acme_support\nturns:\n  - audio: good.wav\n  - audio: junk.mp3\n"
        "  - audio: gone.flac\n  - audio: $REAL_SPEECH/x.wav\n",
        encoding="utf-8",
    )
    (tmp_path / "t.yaml").write_text("flow: x\nturns: [{keys: '1', oops: 1}]\n", encoding="utf-8")
    findings = {
        f.where.split(": ")[-1] if "turn" in f.where else f.where: f for f in check([tmp_path])
    }
    problems = {where: f.problem for where, f in findings.items()}
    assert problems[str(tmp_path / "good.wav")] is None
    assert "cannot decode" in (problems[str(tmp_path / "junk.mp3")] or "")
    assert problems[str(tmp_path / "gone.flac")] == "no such file"
    assert "oops: unknown key" in (problems[str(tmp_path / "t.yaml")] or "")
    assert problems["$REAL_SPEECH/x.wav"].startswith("skipped")  # type: ignore[union-attr]
    assert sum(is_bad(f) for f in findings.values()) == 3


def test_synth_writes_telephone_audio(tmp_path: Path) -> None:
    seconds = synth("yes please", tmp_path / "yes.wav", voice="en-gb", rate=150, noise=0.01)
    pcm, rate = read_wav(tmp_path / "yes.wav")
    assert rate == 8000 and len(pcm) / 2 / rate == pytest.approx(seconds)
    with pytest.raises(ConfigError, match="noise"):
        synth("x", tmp_path / "x.wav", noise=2)
    with pytest.raises(ConfigError, match="no voice"):
        synth("x", tmp_path / "x.wav", voice="nope")

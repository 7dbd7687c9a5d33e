"""On a fresh clone (no ../shared/audio) the tests that need the shared recordings skip, and
each skip says where to get them."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
USERS = [
    "tests/audio/test_wavfile.py",
    "tests/speech/test_recognizer.py::test_real_human_digits_over_the_phone",
    "tests/speech/test_recognizer.py::test_real_off_grammar_speech_is_rejected_by_the_menu",
    "tests/speech/test_recognizer.py::test_free_speech_uses_the_open_vocabulary_model",
    "tests/tools/replay/test_audio.py",
    "tests/tools/replay/test_bad_input.py::test_shared_malformed_audio_fails_the_scenario",
]


def test_without_the_shared_folder_every_skip_says_where_to_get_it(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "SHARED_AUDIO_DIR": str(tmp_path / "no_shared_audio"),
        "VOICEBOT_REAL_SPEECH": str(tmp_path / "no_shared_audio" / "real_speech"),
    }
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider", *USERS],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    skips = [line for line in run.stdout.splitlines() if line.startswith("SKIPPED")]
    counted = sum(int(m.group(1)) for line in skips if (m := re.match(r"SKIPPED \[(\d+)\]", line)))
    assert counted == 15, run.stdout[-3000:]
    for line in skips:
        assert "not part of the repository" in line and "docs/testing.md" in line, line
    assert (REPO / "docs" / "testing.md").is_file()

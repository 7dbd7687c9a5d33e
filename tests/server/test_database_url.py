"""A call store that cannot be reached or a URL that cannot work is one clear line from
`voicebot serve`, before anything else starts; the password never appears."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from tests.conftest import FLOWS_DIR
from voicebot.app.cli import app as cli
from voicebot.tools.demo import free_port


def serve(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, url: str) -> Any:
    monkeypatch.setenv("VOICEBOT_DATABASE_URL", url)
    monkeypatch.chdir(tmp_path)
    return CliRunner().invoke(cli, ["serve", "--flows-dir", str(FLOWS_DIR)])


def test_an_unreachable_database_is_one_line(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    port = free_port()  # nothing listens there
    result = serve(monkeypatch, tmp_path, f"postgresql://bot:s3cret@127.0.0.1:{port}/calls")
    assert result.exit_code == 1
    assert result.output == (
        f"error: cannot connect to PostgreSQL at postgresql://bot:***@127.0.0.1:{port}/calls: "
        f'connection failed: connection to server at "127.0.0.1", port {port} failed: '
        "Connection refused Is the server running on that host and accepting TCP/IP "
        "connections?\n"
    )


def test_a_database_that_does_not_exist_is_one_line(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, postgres_server: Any
) -> None:
    result = serve(monkeypatch, tmp_path, postgres_server.url("no_such_db"))
    assert result.exit_code == 1
    [line] = result.output.splitlines()
    assert line.startswith("error: cannot connect to PostgreSQL at ")
    assert line.endswith('database "no_such_db" does not exist')


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("mysql://bot@db/calls", "error: VOICEBOT_DATABASE_URL: unsupported database 'mysql'"),
        ("postgresql://bot:s3cret@[db/calls", "error: VOICEBOT_DATABASE_URL is not a PostgreSQL"),
    ],
)
def test_a_url_that_cannot_work_is_one_line(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, url: str, message: str
) -> None:
    result = serve(monkeypatch, tmp_path, url)
    assert result.exit_code == 1
    assert result.output.startswith(message)
    assert len(result.output.splitlines()) == 1 and "s3cret" not in result.output

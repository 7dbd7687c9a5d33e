"""The flows folder the commands work on: found from the settings, from any working folder.

`voicebot serve`, `flows validate`, `flows test` and `flows graph` all take the folder from
`VOICEBOT_FLOWS_DIR` (default `dialog_flows`, relative to where the command runs) and say
which folder they looked for when it is not there.
"""

from __future__ import annotations

from pathlib import Path

from voicebot.exceptions import ConfigError

TESTS = "tests"


def flows_folder(path: Path) -> Path:
    """`path` if it is a folder; else a ConfigError naming it (and where it was looked for)."""
    if path.is_dir():
        return path
    where = f" ({path.resolve()})" if not path.is_absolute() else ""
    raise ConfigError(
        f"flows folder {path}{where} not found: set VOICEBOT_FLOWS_DIR (or --flows-dir) to the "
        "folder of your flow YAML files, or run from the folder that holds it"
    )


def flow_file(name_or_path: str, folder: Path) -> Path:
    """A flow file given as a path, or by its flow name (`acme_support`) in `folder`."""
    given = Path(name_or_path)
    if given.is_file() or given.suffix.lower() in (".yaml", ".yml"):
        return given  # a path (a missing one is reported by the loader, as file:1:1)
    for suffix in (".yaml", ".yml"):
        if (folder / f"{name_or_path}{suffix}").is_file():
            return folder / f"{name_or_path}{suffix}"
    for path in sorted([*flows_folder(folder).glob("*.yaml"), *folder.glob("*.yml")]):
        if _names_flow(path, name_or_path):
            return path
    raise ConfigError(f"no flow named '{name_or_path}' in {folder} (and no such file)")


def test_folder(paths: list[Path], folder: Path | None) -> tuple[list[Path], Path | None]:
    """What `flows test` runs: a flows folder given as the path means its `tests/` (and its
    flows, unless `folder` names them); other paths are test files or folders of them."""
    chosen: list[Path] = []
    for path in paths:
        if path.is_dir() and (path / TESTS).is_dir() and path.name != TESTS:
            chosen.append(path / TESTS)
            folder = folder or path
        else:
            chosen.append(path)
    return chosen, folder


def _names_flow(path: Path, name: str) -> bool:
    try:
        head = path.read_text(encoding="utf-8", errors="replace")[:20_000]
    except OSError:
        return False
    return any(
        line.strip() in (f"flow: {name}", f"flow: '{name}'", f'flow: "{name}"')
        for line in head.splitlines()
        if line.startswith("flow:")
    )

"""Hostile flow YAML for the robustness campaign: each file must be refused with file:line,
quickly and in little memory, by `flows validate` and by a running server's hot reload.

`write_hostile_flows(folder)` writes them and returns name -> (path, expected problem code).
"""

from __future__ import annotations

from pathlib import Path

GOOD_FLOW = """\
flow: {name}
nodes:
  greet:
    say: "Hello."
    hangup: true
"""


def _alias_bomb() -> str:
    # "Billion laughs" in 342 bytes: nine lists of nine aliases of the list before.
    names = "abcdefghi"
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i, name in enumerate(names[1:], start=1):
        lines.append(f"{name}: &{name} [" + ",".join([f"*{names[i - 1]}"] * 9) + "]")
    return "\n".join(lines) + "\n"


def write_hostile_flows(folder: Path) -> dict[str, tuple[Path, str]]:
    """Write every hostile flow into `folder` (one file each, plus `shared/` pieces)."""
    shared = folder / "shared"
    shared.mkdir(parents=True, exist_ok=True)
    # Fan-out: 20 includes of a file of 20 includes of ... (8.9 KB of text in the campaign).
    (shared / "fan4.yaml").write_text("[" + ",".join(["x" * 50] * 40) + "]\n")
    for level in (3, 2, 1):
        includes = ", ".join([f"!include fan{level + 1}.yaml"] * 20)
        (shared / f"fan{level}.yaml").write_text(f"[{includes}]\n")
    (shared / "cycle_b.yaml").write_text("again: !include cycle_a.yaml\n")
    (shared / "cycle_a.yaml").write_text("more: !include cycle_b.yaml\n")
    files = {
        "alias_bomb": (_alias_bomb(), "yaml_too_complex"),
        "many_aliases": ("a: &a x\nb: [" + ", ".join(["*a"] * 5000) + "]\n", "yaml_too_complex"),
        "nested_1000_flow": (
            "flow: x\nnodes: " + "[" * 1000 + "]" * 1000 + "\n",
            "yaml_too_complex",
        ),
        "nested_30000_flow": (
            "flow: x\nnodes: " + "[" * 30_000 + "]" * 30_000 + "\n",
            "yaml_too_complex",
        ),
        "nested_1000_block": (
            "flow: x\nnodes:\n"
            + "".join(" " * i + f"k{i}:\n" for i in range(1, 1000))
            + " " * 1000
            + "v\n",
            "yaml_too_complex",
        ),
        "nested_1000_mappings": (
            "flow: x\nnodes: " + "{a: " * 1000 + "1" + "}" * 1000 + "\n",
            "yaml_too_complex",
        ),
        "many_values": (
            "flow: x\nintents: [" + ",".join(["ab"] * 200_000) + "]\n",
            "yaml_too_complex",
        ),
        "fanned_out_includes": (
            "flow: x\nintents: [" + ", ".join(["!include shared/fan1.yaml"] * 20) + "]\n",
            "yaml_too_complex",
        ),
        "include_cycle": ("flow: x\nintents: !include shared/cycle_a.yaml\n", "bad_include"),
        "include_self": ("flow: x\nintents: !include include_self.yaml\n", "bad_include"),
        "include_escape": ("flow: x\nintents: !include ../../../etc/passwd\n", "bad_include"),
        "include_absolute": ("flow: x\nintents: !include /etc/hostname\n", "bad_include"),
        "python_tag": (
            "flow: x\nnodes: !!python/object/apply:os.system [echo owned]\n",
            "unsupported_tag",
        ),
        "custom_tag": ("flow: x\nnodes: !secret {a: 1}\n", "unsupported_tag"),
        "oversized": (GOOD_FLOW.format(name="big") + "# pad\n" * 200_000, "file_too_large"),
        "long_scalar": ("flow: x\nnodes: '" + "x" * 990_000 + "'\n", "dict_type"),
        "not_utf8": ("flow: x\nnodes: caf\udce9\n", "not_utf8"),
        "binary": ("\x00\x01\x02 flow", "yaml_syntax"),
    }
    written: dict[str, tuple[Path, str]] = {}
    for name, (text, code) in files.items():
        path = folder / f"{name}.yaml"
        path.write_bytes(text.encode("utf-8", errors="surrogateescape"))
        written[name] = (path, code)
    return written

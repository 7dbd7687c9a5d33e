"""Log set-up for the command line: voicebot's own lines, and only warnings from pipecat.

pipecat's debug and info lines can quote transcripts and frame contents, which are PII on a
phone line; voicebot's own messages never carry transcripts, digits or slot values.
"""

from __future__ import annotations

import sys

from loguru import logger


def configure(level: str = "INFO") -> None:
    logger.remove()
    logger.add(
        sys.stderr,
        level=level,
        format="{time:HH:mm:ss.SSS} {level: <7} {name}: {message}",
        filter=lambda record: (
            record["name"].startswith("voicebot")
            or record["level"].no >= logger.level("WARNING").no
        ),
    )

"""What callers say for the commands every node understands: a person, repeat, help, start
over, goodbye. Flows may add phrases through same-named intents."""

from __future__ import annotations

# Commands understood in every node (flows may add phrases through same-named intents).
# fmt: off
GLOBAL_INTENTS: dict[str, tuple[str, ...]] = {
    "agent": (
        "agent", "operator", "representative", "a person", "a real person", "speak to someone",
        "talk to someone", "human", "a human",
    ),
    "repeat": ("repeat", "repeat that", "say that again", "come again", "pardon"),
    "help": ("help", "what can i say", "what are my options", "i need help"),
    "start_over": ("start over", "start again", "main menu", "go back to the start"),
    "goodbye": ("goodbye", "bye", "good bye", "bye bye"),
}
# fmt: on

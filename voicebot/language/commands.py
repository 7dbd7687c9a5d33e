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

# More ways callers word the commands, for the open-vocabulary matcher's semantic score only:
# the grammar recogniser never sees these (its phrases must be few and in its dictionary).
# fmt: off
COMMAND_PARAPHRASES: dict[str, tuple[str, ...]] = {
    "agent": ("speak to a person", "talk to a human", "i want to speak to somebody",
              "put me through to someone", "can i talk to an agent", "a real person please"),
    "repeat": ("can you repeat that", "say that again please", "what did you say",
               "sorry i missed that"),
    "help": ("what are my options", "what can i say", "i need some help"),
    "start_over": ("start again from the beginning", "go back to the main menu"),
    "goodbye": ("goodbye", "bye bye", "thats all goodbye", "i am hanging up now"),
}
# fmt: on

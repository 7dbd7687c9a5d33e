"""The flow tests share the dialogue tests' example flow."""

from tests.dialogue.conftest import acme_flow, engine

__all__ = ["acme_flow", "engine"]

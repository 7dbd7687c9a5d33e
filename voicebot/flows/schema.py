"""The JSON Schema of flow files, generated from the pydantic models, for editors and CI."""

from __future__ import annotations

import json
from pathlib import Path

from voicebot.flows.flow import Flow

# Committed beside the flows so `# yaml-language-server: $schema=./flow.schema.json` works.
SCHEMA_FILE = Path("dialog_flows") / "flow.schema.json"


def flow_schema_json() -> str:
    schema = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        **Flow.model_json_schema(),
    }
    return json.dumps(schema, indent=2, sort_keys=True) + "\n"

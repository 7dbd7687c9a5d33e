"""The base every flow model shares: unknown keys rejected, field docstrings as descriptions."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class FlowModel(BaseModel):
    model_config = ConfigDict(
        extra="forbid", use_attribute_docstrings=True, frozen=True, populate_by_name=True
    )

"""The flow version each call started on, so any worker routes its webhooks the same way.

A version is the hash of the loaded flow's canonical JSON; its JSON goes into the store the
first time a call starts on it, so a worker that never loaded that version (started later,
or on another host) rebuilds it exactly. Recent versions are kept in memory too.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping
from typing import Any

from loguru import logger
from pydantic import ValidationError

from voicebot.exceptions import StoreError
from voicebot.flows.flow import Flow
from voicebot.flows.version import flow_version
from voicebot.storage.calls import CallStore

KEEP_IN_MEMORY = 64


class FlowVersions:
    def __init__(self, store: CallStore, keep: int = KEEP_IN_MEMORY) -> None:
        self.store = store
        self.keep = keep
        self._by_object: OrderedDict[int, tuple[Flow, str]] = OrderedDict()
        self._by_version: OrderedDict[str, Flow] = OrderedDict()

    def version_of(self, flow: Flow) -> str:
        """`flow`'s version, saved in the store the first time it is asked for."""
        known = self._by_object.get(id(flow))
        if known is not None and known[0] is flow:
            self._by_object.move_to_end(id(flow))
            return known[1]
        source = flow.model_dump_json()
        version = flow_version(source)
        if version not in self._by_version:
            self.store.save_flow_version(version, flow.flow, source)  # queued if the db is away
        self._remember(version, flow)
        self._by_object[id(flow)] = (flow, version)  # the strong reference keeps id() unique
        while len(self._by_object) > self.keep:
            self._by_object.popitem(last=False)
        return version

    def flow(self, version: str) -> Flow | None:
        """The flow of `version`, from memory or rebuilt from the store; None if unknown."""
        found = self._by_version.get(version)
        if found is not None:
            self._by_version.move_to_end(version)
            return found
        try:
            source = self.store.flow_version_source(version)
        except StoreError as error:
            logger.warning(f"flow version {version} unreadable from the store: {error}")
            return None
        if source is None:
            return None
        try:
            rebuilt = Flow.model_validate_json(source)
        except ValidationError as error:  # stored by a release whose flow models differed
            logger.warning(f"flow version {version} no longer loads: {error.error_count()} errors")
            return None
        self._remember(version, rebuilt)
        return rebuilt

    def _remember(self, version: str, flow: Flow) -> None:
        self._by_version[version] = flow
        self._by_version.move_to_end(version)
        while len(self._by_version) > self.keep:
            self._by_version.popitem(last=False)

    def flow_of_call(
        self, record: Mapping[str, Any], live: Mapping[str, Flow], default: str
    ) -> tuple[str, Flow] | None:
        """The (name, flow) a stored call runs on: the version it started with; for records
        without one (older releases), the live flow of its name, else the default flow."""
        name = str(record.get("flow") or default)
        version = record.get("flow_version")
        if version:
            started_on = self.flow(str(version))
            if started_on is not None:
                return name, started_on
            logger.warning(f"flow version {version} of a call is gone; using the live flow")
        if name in live:
            return name, live[name]
        if default in live:
            return default, live[default]
        return None

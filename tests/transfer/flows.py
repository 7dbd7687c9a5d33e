"""A small flow with every kind of queue and routing rule, for routing and server tests."""

from __future__ import annotations

from typing import Any

import yaml

from voicebot.flows.checks import check_flow
from voicebot.flows.flow import Flow

ROUTED_FLOW = """
flow: routed
queues:
  general:
    twilio: {enqueue: general}
    hours: {timezone: Europe/London, open: {mon: "08:00-20:00", tue: "08:00-20:00"}}
    out_of_hours: {message: "We are closed.", queue: night}
    overflow: billing
  billing:
    twilio: {workflow_sid: WW0123456789abcdef0123456789abcdef, task_attributes: {team: billing}}
    priority: 5
    skills: [billing]
    hours: {timezone: Europe/London, open: {mon: "09:00-17:00"}}
    out_of_hours: {message: "Billing is closed."}
  night:
    twilio: {dial: "+441234567890"}
  crisis:
    twilio: {dial: "sip:crisis@pbx.example.com"}
    priority: 90
    hours: {timezone: Europe/London, open: {mon: "09:00-10:00"}}
  vip:
    twilio: {enqueue: vip}
    priority: 20
routing:
  rules:
    - {when: {intent: [crisis]}, queue: crisis, bypass_hours: true}
    - {when: {reason: [backend_fault]}, queue: general}
    - {when: {intent: [check_balance]}, queue: billing}
    - {when: {slots: {account_type: business}}, queue: billing, priority: 30}
    - {when: {emotion: {label: angry, min_intensity: 0.7}}, queue: general, priority: 40}
  vip:
    callers: ["+447700900123"]
    tier_slot: tier
    queue: vip
slots:
  account_type: {type: choice, options: {business: [], home: []}}
  tier: {type: free_text}
  pin: {type: digits, length: 4, sensitive: true}
nodes:
  ask_pin: {collect: pin, prompt: "Please key your PIN.", next: ask_type}
  ask_type: {collect: account_type, prompt: "Is this a business or home account?", next: done}
  done: {say: "Thanks, putting you through.", transfer: general}
"""


def routed_flow(**changes: Any) -> Flow:
    data = yaml.safe_load(ROUTED_FLOW)
    data.update(changes)
    flow = Flow.model_validate(data)
    assert check_flow(flow) == []
    return flow


def always_open_flow_yaml() -> str:
    """The routed flow without opening hours, so server tests do not depend on the clock."""
    data = yaml.safe_load(ROUTED_FLOW)
    for queue in data["queues"].values():
        queue.pop("hours", None)
    return yaml.safe_dump(data, sort_keys=False)

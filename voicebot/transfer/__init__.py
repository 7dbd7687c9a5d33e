"""Handing a call to humans: queue config, routing, TwiML, the Twilio REST update, handoffs.

`queues` (flow YAML models) → `routing` (pure decision) → `twiml` (per target) → `twilio_rest`
(update the live call) and `handoff` (the packet an agent reads).
"""

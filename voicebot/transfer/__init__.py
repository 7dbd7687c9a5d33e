"""Carrying a transfer out: route it (`flows.routing`), build the handoff packet an agent
reads, notify the agent desktop, then move the live call (`twilio.rest`) or leave the TwiML
for `/twilio/after-stream`. No TwiML building and no audio here."""

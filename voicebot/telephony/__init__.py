"""Twilio telephony: the Media Streams wire format, webhooks, signatures and the web server."""

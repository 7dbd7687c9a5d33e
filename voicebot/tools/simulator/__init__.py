"""The caller simulator: a Twilio Media Streams client that plays a scripted call."""

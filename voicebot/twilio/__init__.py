"""Everything Twilio: the Media Streams wire format, its pipecat serializer and frames, one
TwiML builder, webhook signatures and the REST call update (no pipeline, no transfer logic)."""

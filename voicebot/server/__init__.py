"""The web server Twilio talks to: routes (`app`), one call's media stream (`stream`), what
Twilio hears after a stream (`after_stream`), flow versions and the flow watcher."""

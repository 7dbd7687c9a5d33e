"""voicebot's own exception tree; third-party errors are translated into it where they enter.

VoicebotError
 ├── ConfigError            settings or CLI arguments that cannot work
 ├── FlowError              a dialogue flow file that fails to load (carries file:line:col)
 ├── AudioFileError         an audio file that cannot be read or is not audio
 ├── WireError              a Twilio Media Streams frame that breaks the protocol
 ├── SpeechError            a speech backend (VAD/STT/TTS) failed; `retryable` says if a
 │                          second try can help
 └── StoreError             the call store refused a read or write
      └── StoreUnavailable  the database cannot be reached now (writes are queued meanwhile)
"""

from __future__ import annotations


class VoicebotError(Exception):
    """Base of every error voicebot raises on purpose."""


class ConfigError(VoicebotError):
    pass


class FlowError(VoicebotError):
    """A flow file failed to load; `problems` holds every `file:line:col: message` found."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


class AudioFileError(VoicebotError):
    pass


class WireError(VoicebotError):
    """A malformed Media Streams frame; `kind` is a stable short name used for counting."""

    def __init__(self, kind: str, message: str) -> None:
        self.kind = kind
        super().__init__(message)


class SpeechError(VoicebotError):
    def __init__(self, message: str, *, retryable: bool = False) -> None:
        self.retryable = retryable
        super().__init__(message)


class StoreError(VoicebotError):
    pass


class StoreUnavailable(StoreError):
    """Retrying later can help: the database is down or unreachable."""

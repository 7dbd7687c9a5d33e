"""voicebot: a self-hostable voice IVR agent for call centres.

Twilio Media Streams in, a pure dialogue engine in the middle, speech out.
"""

__version__ = "0.1.0"

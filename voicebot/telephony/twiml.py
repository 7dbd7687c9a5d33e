"""The TwiML voicebot answers Twilio with: connect the call to our stream, then hang up."""

from __future__ import annotations

from twilio.twiml.voice_response import Connect, VoiceResponse


def connect_stream(stream_url: str, action_url: str, parameters: dict[str, str]) -> str:
    """`<Connect action><Stream url><Parameter…/></Stream></Connect><Hangup/>`.

    The stream URL takes no query string, so per-call data travels as `<Parameter>`s and
    arrives in the `start` message's customParameters.
    """
    response = VoiceResponse()
    connect = Connect(action=action_url)
    stream = connect.stream(url=stream_url)
    for name, value in parameters.items():
        stream.parameter(name=name, value=value)
    response.append(connect)
    response.hangup()
    return str(response)


def hang_up() -> str:
    response = VoiceResponse()
    response.hangup()
    return str(response)

"""Speaking the engine's replies: the TTS voice switched to the reply's style, and for an
upset caller the LLM may rephrase it (sentence by sentence, every fact kept, else the flow's
words). Private replies never go to the model."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping

from pipecat.frames.frames import Frame, TTSSpeakFrame, TTSUpdateSettingsFrame

from voicebot.dialogue.actions import Say
from voicebot.llm.phrasing import Phrased, Phraser
from voicebot.pipeline.call_recorder import CallRecorder
from voicebot.speech.espeak_tts import EspeakTTSSettings


class ReplySpeaker:
    """Turns `Say` actions into TTS frames, through `push`."""

    def __init__(
        self,
        phraser: Phraser | None,
        recorder: CallRecorder,
        push: Callable[[Frame], Awaitable[None]],
    ) -> None:
        self._phraser = phraser
        self._recorder = recorder
        self._push = push
        self._style: str | None = None

    async def set_style(self, style: str) -> None:
        """Switch the TTS voice (rate, pitch) to the reply's style when it changes."""
        wanted = None if style == "neutral" else style
        if wanted != self._style:
            self._style = wanted
            await self._push(TTSUpdateSettingsFrame(delta=EspeakTTSSettings(style=wanted)))

    async def speak(self, say: Say, slots: Mapping[str, str]) -> None:
        """`slots`: the call's masked slot values; those the reply repeats must survive."""
        if self._phraser is None or say.private or say.style == "neutral":
            await self._push(TTSSpeakFrame(text=say.text))
            return
        outcome: list[Phrased] = []
        # Slot values the template repeats must survive word for word (numbers always do).
        lowered = say.text.lower()
        values = [v for v in slots.values() if v and v.lower() in lowered]
        async for sentence in self._phraser.stream(
            say.text, emotion=say.style, values=values, outcome=outcome
        ):
            await self._push(TTSSpeakFrame(text=sentence))
        if outcome and not outcome[0].used_template:
            self._recorder.rephrased(outcome[0].text)

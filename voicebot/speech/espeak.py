"""A ctypes binding to espeak-ng, loaded from the espeakng-loader wheel (no system package).

espeak-ng keeps global state, so the library is initialised once per process and every
synthesis runs under one lock; callers get 16-bit mono PCM at espeak's own rate (22050 Hz).

The same text synthesises to the same samples whatever was spoken before. espeak-ng's wave
generator keeps two function-static counters that no API resets: the pitch-flutter position
and the glottal-cycle count (whose parity picks how a cycle is built). Each synthesis resets
both to their start values, found through the library's symbol table. Without that, a
recognition test or a replayed call heard slightly different audio depending on every prompt
spoken earlier in the process, and a digit string could decode differently between runs.
"""

from __future__ import annotations

import ctypes
import threading
from dataclasses import dataclass

import espeakng_loader
from elftools.common.exceptions import ELFError
from elftools.elf.elffile import ELFFile
from elftools.elf.sections import SymbolTableSection

from voicebot.exceptions import SpeechError

_AUDIO_OUTPUT_SYNCHRONOUS = 2  # espeak_Synth returns once the callback has had all audio
_INITIALIZE_DONT_EXIT = 0x8000  # otherwise espeak-ng calls exit() when its data is missing
_CHARS_UTF8 = 1
_POS_CHARACTER = 1
_PARAM_RATE, _PARAM_PITCH = 1, 3
_BUFFER_MS = 20  # how much audio espeak-ng hands the callback at a time
_ERRORS = {-1: "internal error", 1: "buffer full", 2: "not found"}

DEFAULT_RATE = 175  # words per minute, espeak-ng's own default
DEFAULT_PITCH = 50  # 0-100, espeak-ng's own default
RATE_RANGE = (80, 450)
PITCH_RANGE = (0, 100)

_SynthCallback = ctypes.CFUNCTYPE(
    ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.c_void_p
)


class _Voice(ctypes.Structure):
    """espeak_VOICE from speak_lib.h; `languages` is (priority byte, C string) pairs."""

    _fields_ = [
        ("name", ctypes.c_char_p),
        ("languages", ctypes.c_void_p),
        ("identifier", ctypes.c_char_p),
        ("gender", ctypes.c_ubyte),
        ("age", ctypes.c_ubyte),
        ("variant", ctypes.c_ubyte),
        ("xx1", ctypes.c_ubyte),
        ("score", ctypes.c_int),
        ("spare", ctypes.c_void_p),
    ]


@dataclass
class _Engine:
    lib: ctypes.CDLL
    sample_rate: int
    callback: object  # held so ctypes does not free the C trampoline
    by_language: dict[str, bytes]  # "en-gb" -> b"gmw/en": the best voice file per language
    counters: tuple[ctypes.c_int, ...]  # wavegen.c statics reset before each synthesis
    sink: list[bytes] | None = None
    voice: str | None = None


_lock = threading.Lock()
_engine: _Engine | None = None


def _load() -> _Engine:
    library_path = espeakng_loader.get_library_path()
    try:
        lib = ctypes.CDLL(library_path)
        data_path = espeakng_loader.get_data_path()
    except (OSError, RuntimeError) as exc:
        raise SpeechError(f"cannot load espeak-ng from {library_path}: {exc}") from exc
    lib.espeak_Initialize.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
    lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
    lib.espeak_SetParameter.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int]
    lib.espeak_SetSynthCallback.argtypes = [_SynthCallback]
    lib.espeak_Synth.argtypes = [
        ctypes.c_char_p, ctypes.c_size_t, ctypes.c_uint, ctypes.c_int,
        ctypes.c_uint, ctypes.c_uint, ctypes.c_void_p, ctypes.c_void_p,
    ]  # fmt: skip
    rate = lib.espeak_Initialize(
        _AUDIO_OUTPUT_SYNCHRONOUS, _BUFFER_MS, data_path.encode(), _INITIALIZE_DONT_EXIT
    )
    if rate <= 0:
        raise SpeechError(f"espeak-ng failed to initialise with data at {data_path}")

    engine: _Engine

    def on_audio(wav: ctypes._Pointer[ctypes.c_short], count: int, _events: int) -> int:
        if wav and count > 0 and engine.sink is not None:
            engine.sink.append(ctypes.string_at(wav, count * 2))
        return 0  # 0 = carry on synthesising

    engine = _Engine(
        lib=lib,
        sample_rate=rate,
        callback=_SynthCallback(on_audio),
        by_language=_languages(lib),
        counters=_wavegen_counters(library_path, lib),
    )
    lib.espeak_SetSynthCallback(engine.callback)
    return engine


# wavegen.c's `static int Flutter_ix` (in AdvanceParameters) and `static int cycle_count`
# (in Wavegen): both start at 0 when the library loads; the compiler suffixes their names.
_COUNTERS = ("Flutter_ix", "cycle_count")


def _wavegen_counters(library_path: str, lib: ctypes.CDLL) -> tuple[ctypes.c_int, ...]:
    """The counters in `_COUNTERS`, located through the library's symbol table relative to an
    exported function; empty when the build is stripped or differs, and then synthesis still
    works, only without run-to-run identical audio."""
    try:
        with open(library_path, "rb") as handle:
            symbols = ELFFile(handle).get_section_by_name(".symtab")
            if not isinstance(symbols, SymbolTableSection):
                return ()
            found = [
                (symbol.name.split(".")[0], symbol["st_value"], symbol["st_size"])
                for symbol in symbols.iter_symbols()
                if symbol.name == "espeak_Synth" or symbol.name.startswith(_COUNTERS)
            ]
    except (OSError, ELFError):
        return ()
    offsets = {name: (value, size) for name, value, size in found}
    exported = ctypes.cast(lib.espeak_Synth, ctypes.c_void_p).value
    sizes = [offsets.get(name, (0, 0))[1] for name in _COUNTERS]
    unique = len(found) == len(offsets) and "espeak_Synth" in offsets
    if exported is None or not unique or sizes != [4] * len(_COUNTERS):
        return ()  # a counter missing, ambiguous (two statics of one name) or not an int
    base = exported - offsets["espeak_Synth"][0]
    return tuple(ctypes.c_int.from_address(base + offsets[name][0]) for name in _COUNTERS)


def _languages(lib: ctypes.CDLL) -> dict[str, bytes]:
    """Map each language code to its preferred voice file.

    espeak_SetVoiceByName only knows file names ("en", "en-us"), yet callers say "en-gb";
    this index lets those names resolve the way the espeak-ng command line resolves them.
    """
    lib.espeak_ListVoices.argtypes = [ctypes.c_void_p]
    lib.espeak_ListVoices.restype = ctypes.POINTER(ctypes.POINTER(_Voice))
    voices = lib.espeak_ListVoices(None)
    best: dict[str, tuple[int, bytes]] = {}
    i = 0
    while voices[i]:
        voice = voices[i].contents
        cursor = voice.languages
        while (priority := ctypes.string_at(cursor, 1)[0]) != 0:
            language = ctypes.string_at(cursor + 1)
            code = language.decode("ascii", "replace").lower()
            if voice.identifier and (code not in best or priority < best[code][0]):
                best[code] = (priority, voice.identifier)
            cursor += 2 + len(language)
        i += 1
    return {code: identifier for code, (_, identifier) in best.items()}


def _select_voice(engine: _Engine, voice: str) -> None:
    result = engine.lib.espeak_SetVoiceByName(voice.encode("utf-8"))
    if result == 2:
        language, plus, variant = voice.partition("+")
        identifier = engine.by_language.get(language.lower())
        if identifier is not None:
            name = identifier + (plus + variant).encode("utf-8")
            result = engine.lib.espeak_SetVoiceByName(name)
    if result == 2:
        raise SpeechError(f"espeak-ng has no voice {voice!r}")
    _check(result, f"could not select voice {voice!r}")


def _check(result: int, what: str) -> None:
    if result != 0:
        reason = _ERRORS.get(result, f"error {result}")
        # A full buffer is transient; anything else will fail the same way again.
        raise SpeechError(f"espeak-ng {what}: {reason}", retryable=result == 1)


def resolve_params(rate: int | None = None, pitch: int | None = None) -> tuple[int, int]:
    """Fill in espeak's defaults and reject out-of-range values with a ValueError."""
    rate = DEFAULT_RATE if rate is None else rate
    pitch = DEFAULT_PITCH if pitch is None else pitch
    if not RATE_RANGE[0] <= rate <= RATE_RANGE[1]:
        raise ValueError(f"rate must be {RATE_RANGE[0]}-{RATE_RANGE[1]} words/min, not {rate}")
    if not PITCH_RANGE[0] <= pitch <= PITCH_RANGE[1]:
        raise ValueError(f"pitch must be {PITCH_RANGE[0]}-{PITCH_RANGE[1]}, not {pitch}")
    return rate, pitch


class EspeakSynthesizer:
    """Synthesises text with espeak-ng; instances share the one process-wide engine."""

    def __init__(self) -> None:
        global _engine
        with _lock:
            if _engine is None:
                _engine = _load()
            self._engine = _engine

    @property
    def sample_rate(self) -> int:
        """espeak-ng's output rate in Hz (22050 for its standard voices)."""
        return self._engine.sample_rate

    def check_voice(self, voice: str) -> None:
        """Raise SpeechError unless espeak-ng can speak with `voice`."""
        with _lock:
            self._use_voice(voice)

    def _use_voice(self, voice: str) -> None:
        engine = self._engine
        if engine.voice != voice:
            # Loading a voice reads files, so skip it when the voice is unchanged.
            engine.voice = None
            _select_voice(engine, voice)
            engine.voice = voice

    def synthesize(
        self, text: str, voice: str = "en-us", rate: int | None = None, pitch: int | None = None
    ) -> tuple[bytes, int]:
        """Speak `text` and return (16-bit mono PCM, sample rate).

        `voice` is an espeak-ng voice name, optionally with a variant ("en-us+f3");
        `rate` is words per minute (80-450) and `pitch` 0-100, espeak's defaults when None.
        """
        rate, pitch = resolve_params(rate, pitch)
        if not text.strip():
            return b"", self.sample_rate
        # A NUL would end the C string early and silently drop the rest of the text.
        encoded = text.replace("\0", " ").encode("utf-8")
        engine = self._engine
        chunks: list[bytes] = []
        with _lock:
            self._use_voice(voice)
            _check(engine.lib.espeak_SetParameter(_PARAM_RATE, rate, 0), "rejected the rate")
            _check(engine.lib.espeak_SetParameter(_PARAM_PITCH, pitch, 0), "rejected the pitch")
            engine.sink = chunks
            for counter in engine.counters:
                counter.value = 0
            try:
                result = engine.lib.espeak_Synth(
                    encoded, len(encoded) + 1, 0, _POS_CHARACTER, 0, _CHARS_UTF8, None, None
                )
            finally:
                engine.sink = None
        _check(result, "synthesis failed")
        return b"".join(chunks), engine.sample_rate

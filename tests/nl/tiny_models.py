"""Tiny random-weight models with the real formats, built by the tests (nothing downloaded).

* Whisper: a CTranslate2 WhisperSpec filled with random weights, saved with its vocabulary,
  plus a `tokenizers` WordLevel tokenizer.json with Whisper's special tokens. faster-whisper
  loads and decodes it like any converted model; the words it produces mean nothing.
* Piper: an ONNX graph with piper's signature (input int64[1, n], input_lengths int64[1],
  scales float[3] -> output float[1, 1, 1, samples]) plus the voice's .onnx.json config.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

WORDS = ["hello", "yes", "no", "balance", "account", "one", "two", "three", "agent", "help"]
N_MELS = 80


def whisper_tokens() -> list[str]:
    specials = [
        "<|endoftext|>",
        "<|startoftranscript|>",
        "<|en|>",
        "<|translate|>",
        "<|transcribe|>",
        "<|startoflm|>",
        "<|startofprev|>",
        "<|nospeech|>",
        "<|notimestamps|>",
    ]
    timestamps = [f"<|{i * 0.02:.2f}|>" for i in range(1501)]
    return ["<unk>", *(f"Ġ{w}" for w in WORDS), *specials, *timestamps]


def build_tiny_whisper(
    folder: Path, *, d_model: int = 64, heads: int = 2, seed: int = 0, favour: str | None = None
) -> Path:
    from ctranslate2.specs import model_spec, whisper_spec
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers

    rng = np.random.default_rng(seed)
    tokens = whisper_tokens()
    vocab, ffn = len(tokens), d_model * 2
    spec = whisper_spec.WhisperSpec(1, heads, 1, heads)

    def shape(name: str) -> tuple[int, ...]:
        d = d_model
        if name.endswith(("gamma", "beta")):
            return (d,)
        if name == "encoder/conv1/weight":
            return (d, N_MELS, 3)
        if name == "encoder/conv2/weight":
            return (d, d, 3)
        if name in ("decoder/embeddings/weight", "decoder/projection/weight"):
            return (vocab, d)
        if name.endswith("ffn/linear_0/weight"):
            return (ffn, d)
        if name.endswith("ffn/linear_1/weight"):
            return (d, ffn)
        if name.endswith("self_attention/linear_0/weight"):
            return (3 * d, d)  # fused query/key/value
        if name.endswith("/attention/linear_1/weight"):
            return (2 * d, d)  # cross-attention: fused key/value over the encoder output
        return (d, d)

    def fill(layer: object, name: str, value: object) -> None:
        if value is None:
            if name.endswith("gamma"):
                array = np.ones(shape(name), dtype=np.float32)
            elif name.endswith("beta"):
                array = np.zeros(shape(name), dtype=np.float32)
            else:
                array = rng.normal(0, 0.05, shape(name)).astype(np.float32)
            setattr(layer, name.rsplit("/", 1)[-1], array)

    model_spec.visit_spec(spec, lambda layer, name, value: fill(layer, name, value))
    # Whisper's positions are learned tables (1500 audio frames, 448 text tokens).
    spec.encoder.position_encodings.encodings = rng.normal(0, 0.05, (1500, d_model)).astype(
        np.float32
    )
    spec.decoder.position_encodings.encodings = rng.normal(0, 0.05, (448, d_model)).astype(
        np.float32
    )
    # Bias the output towards the words so the decode yields text (random weights alone end
    # at once): the transcript path then runs through segments, log-probs and detokenising.
    bias = np.full(vocab, -10.0, dtype=np.float32)
    bias[1 : 1 + len(WORDS)] = 5.0 + rng.normal(0, 0.5, len(WORDS))
    if favour is not None:  # one word only: a transcript no grammar in the tests matches
        bias[1 + WORDS.index(favour)] = 20.0
    spec.decoder.projection.bias = bias
    spec.config.suppress_ids = []
    spec.config.suppress_ids_begin = []
    spec.config.lang_ids = []
    spec.config.alignment_heads = [(0, 0)]
    spec.register_vocabulary(tokens)
    spec.validate()
    folder.mkdir(parents=True, exist_ok=True)
    spec.save(str(folder))

    tokenizer = Tokenizer(models.WordLevel({t: i for i, t in enumerate(tokens)}, unk_token="<unk>"))
    tokenizer.pre_tokenizer = pre_tokenizers.Metaspace(replacement="Ġ")
    tokenizer.decoder = decoders.Metaspace(replacement="Ġ")
    tokenizer.save(str(folder / "tokenizer.json"))
    return folder


PIPER_SAMPLE_RATE = 22050
SAMPLES_PER_PHONEME = 256


def build_tiny_piper(folder: Path, name: str = "en_US-tiny-low") -> Path:
    """A piper voice whose 'synthesis' is a tone whose length follows the phoneme count and
    the length scale, so tests can see the scales reach the model."""
    import onnx
    from onnx import TensorProto, helper

    inputs = [
        helper.make_tensor_value_info("input", TensorProto.INT64, [1, "phonemes"]),
        helper.make_tensor_value_info("input_lengths", TensorProto.INT64, [1]),
        helper.make_tensor_value_info("scales", TensorProto.FLOAT, [3]),
    ]
    output = helper.make_tensor_value_info("output", TensorProto.FLOAT, [1, 1, 1, "samples"])
    c = helper.make_tensor
    nodes = [
        # samples = round(len(input) * SAMPLES_PER_PHONEME * length_scale)
        helper.make_node("Shape", ["input"], ["shape"]),
        helper.make_node("Gather", ["shape", "one_idx"], ["n"], axis=0),
        helper.make_node("Cast", ["n"], ["n_f"], to=TensorProto.FLOAT),
        helper.make_node("Gather", ["scales", "one_idx"], ["length_scale"], axis=0),
        helper.make_node("Mul", ["n_f", "per_phoneme"], ["base"]),
        helper.make_node("Mul", ["base", "length_scale"], ["count_f"]),
        helper.make_node("Cast", ["count_f"], ["count"], to=TensorProto.INT64),
        helper.make_node("Range", ["zero_i", "count", "one_i"], ["idx"]),
        helper.make_node("Cast", ["idx"], ["idx_f"], to=TensorProto.FLOAT),
        helper.make_node("Mul", ["idx_f", "omega"], ["phase"]),
        helper.make_node("Sin", ["phase"], ["wave"]),
        helper.make_node("Mul", ["wave", "amp"], ["scaled"]),
        helper.make_node("Reshape", ["scaled", "out_shape"], ["output"]),
    ]
    inits = [
        c("one_idx", TensorProto.INT64, [], [1]),
        c("per_phoneme", TensorProto.FLOAT, [], [float(SAMPLES_PER_PHONEME)]),
        c("zero_i", TensorProto.INT64, [], [0]),
        c("one_i", TensorProto.INT64, [], [1]),
        c("omega", TensorProto.FLOAT, [], [2 * np.pi * 440 / PIPER_SAMPLE_RATE]),
        c("amp", TensorProto.FLOAT, [], [0.5]),
        c("out_shape", TensorProto.INT64, [4], [1, 1, 1, -1]),
    ]
    graph = helper.make_graph(nodes, "tiny_piper", inputs, [output], initializer=inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    folder.mkdir(parents=True, exist_ok=True)
    onnx_path = folder / f"{name}.onnx"
    onnx.save(model, str(onnx_path))
    (folder / f"{name}.onnx.json").write_text(json.dumps(piper_config()))
    return onnx_path


def piper_config() -> dict[str, object]:
    symbols = [
        "_",
        "^",
        "$",
        " ",
        "a",
        "b",
        "d",
        "e",
        "h",
        "i",
        "l",
        "n",
        "o",
        "s",
        "t",
        "ə",
        "ɛ",
        "ˈ",
        "ʊ",
        "ɪ",
        "ɹ",
        "æ",
        ",",
        ".",
        "?",
        "!",
        "w",
        "k",
        "m",
        "p",
        "u",
        "ɑ",
        "ː",
        "j",
        "z",
        "f",
        "v",
        "ð",
        "θ",
        "ŋ",
        "ʃ",
        "ɡ",
        "r",
        "c",
        "g",
        "x",
        "y",
        "ʌ",
        "ɔ",
        "ɾ",
        "ˌ",
    ]
    return {
        "audio": {"sample_rate": PIPER_SAMPLE_RATE, "quality": "low"},
        "espeak": {"voice": "en-us"},
        "phoneme_type": "espeak",
        "inference": {"noise_scale": 0.667, "length_scale": 1.0, "noise_w": 0.8},
        "num_symbols": 256,
        "num_speakers": 1,
        "speaker_id_map": {},
        "phoneme_id_map": {s: [i] for i, s in enumerate(symbols)},
        "language": {"code": "en_US"},
    }

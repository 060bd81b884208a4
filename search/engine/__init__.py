"""Pure search core: embeddings, passages, FAISS index, fusion, metrics, snippets.

Plain Python over numpy arrays and ids. Nothing here imports Django: the web
side reads settings and passes them in (model name, index directory, weights).
"""
from .embedding import (
    DEFAULT_MODEL,
    Embedder,
    ModelUnavailable,
    SentenceTransformerEmbedder,
    embedding_key,
)
from .fusion import Ranked, convex, rrf
from .index_store import IndexStore, IndexUnavailable, LiveIndex
from .keyword_index import KeywordDocument, KeywordIndex
from .metrics import evaluate, mrr_at_k, ndcg_at_k, recall_at_k, split_dev_test
from .passages import html_to_text, markdown_to_text, split_passages
from .query import QueryError, clean_query, query_terms
from .snippets import make_snippet
from .vector_index import VectorIndex

__all__ = [
    "DEFAULT_MODEL",
    "Embedder",
    "IndexStore",
    "IndexUnavailable",
    "KeywordDocument",
    "KeywordIndex",
    "LiveIndex",
    "ModelUnavailable",
    "QueryError",
    "Ranked",
    "SentenceTransformerEmbedder",
    "VectorIndex",
    "clean_query",
    "convex",
    "embedding_key",
    "evaluate",
    "html_to_text",
    "make_snippet",
    "markdown_to_text",
    "mrr_at_k",
    "ndcg_at_k",
    "query_terms",
    "recall_at_k",
    "rrf",
    "split_dev_test",
    "split_passages",
]

"""Search's writes, one module per operation: documents from their sources, indexing, the periodic
sweep, rebuilds, the consistency check and repair, stored embeddings, the query log."""

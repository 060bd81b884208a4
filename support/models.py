"""support models: filled by a later change."""

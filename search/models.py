"""search models: filled by a later change."""

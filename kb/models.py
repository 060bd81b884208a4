"""kb models: filled by a later change."""

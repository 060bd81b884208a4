"""Test helpers shared across areas (local HTTP server, pytest fixtures)."""

"""Engagement data; see ARCHITECTURE.md."""

"""Intake data; see ARCHITECTURE.md."""

"""Service data; see ARCHITECTURE.md."""

"""Sales data; see ARCHITECTURE.md."""

"""The feedback app's writes (one module per concept)."""

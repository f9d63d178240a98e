"""Import and export, duplicate detection and merge."""

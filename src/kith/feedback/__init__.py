"""Feedback: surveys, answers and the sentiment of every customer text."""

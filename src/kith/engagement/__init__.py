"""Interactions, the timeline, tasks and reminders, comments, mentions and notifications."""

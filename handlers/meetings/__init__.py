"""Meetings: organizers announce once; subscribers hear, are reminded, and are told of changes."""

"""Escalation to human liaisons: residents open cases, liaisons answer from any platform."""

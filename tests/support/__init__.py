"""Helpers shared by test modules: apps, platforms, people, meetings."""

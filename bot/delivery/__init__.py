"""Delivery: pacing, retries and hand-off for direct replies and outbox rows alike."""

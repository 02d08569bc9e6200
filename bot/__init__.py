"""Community Liaison Bot: the runtime (config, wiring, core, platforms)."""

"""The knowledge pack: topic content per language, its checks, and the free-text search."""

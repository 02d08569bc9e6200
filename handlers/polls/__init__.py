"""Trust polls: one tap to answer, anonymous, results with small-group suppression."""

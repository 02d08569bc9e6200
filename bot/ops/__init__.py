"""Running the bot for a city: storage backend checks, backups, health and metrics."""

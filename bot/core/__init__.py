"""Platform-neutral core: events, router, context and the ports adapters implement."""

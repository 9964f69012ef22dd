"""One module per endpoint group; each exposes ``router``."""

"""Templates to documents: the Jinja environment and the words each language prints."""

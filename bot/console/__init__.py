"""postpoc."""

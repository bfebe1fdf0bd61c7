"""Tables, the repository the core talks to, and migrations."""

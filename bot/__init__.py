"""Adapters (console, Slack, Teams), configuration, CLI and wiring."""

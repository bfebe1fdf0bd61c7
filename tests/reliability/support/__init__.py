"""Helpers of the reliability suite: what the database holds, bots run as
real processes, clients that speak as Slack does."""

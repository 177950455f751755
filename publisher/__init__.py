"""Posting approved replies back to each network, through an idempotent outbox."""

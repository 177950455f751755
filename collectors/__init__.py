"""Collectors: one module per network, each turning that network's API into ``schemas.Post``."""

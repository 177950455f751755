"""Posting approved replies back to each network (R16, R21, R27), through an idempotent outbox.

- ``core.Publisher.handle(ReplyApproved) -> Outcome`` (ReplyPublished + alerts) is the pure-ish core;
  ``consumer.handle_values`` / ``consumer.resume_outputs`` are what the bus loop calls.
- The outbox is a SQLite file ``<data_dir>/publisher-outbox.sqlite`` (one row per ``reply_id``):
  intent is committed before every send, so after a crash the reply is looked up on the network
  (VK/OK comment lists, Twitter conversation search, Instagram replies edge, Telegram discussion)
  instead of being posted again.
- Limits per network (R21) come from ``regions/<region>/networks.yaml``; accounts, API bases,
  error classes and retry policy from ``publishing.yaml``; tokens only from the environment.
"""

"""The regulation's workflow: cases, assignments, drafts, approvals, audit log and outbox."""

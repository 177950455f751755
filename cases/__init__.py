"""The regulation's workflow: cases, assignments, drafts, approvals, audit log and outbox.

Public API (nothing here touches a database at import time):

- ``cases.db``: ``make_engine(dsn)``, ``session_factory(engine)``, ``migrate(dsn)``, ``check(dsn)``
- ``cases.seed.load_region(session, region_dir)``: agencies + demo people, idempotent
- ``cases.config.CaseConfig.load(region_dir, short_clocks_working_time=..., detection_event=...)``
- ``cases.intake.intake(session, classified, now, config=...) -> IntakeResult``
- ``cases.outbox.pending(session, limit)`` / ``mark_published(session, ids)``
- ``cases.workflow``: ``triage``, ``exclude``, ``reinstate``, ``route`` (also re-route), ``receive``,
  ``return_not_competent``, ``link_repeat``
- ``cases.drafting``: ``submit_draft``, ``submit_contribution``, ``write_joint_draft``, ``approve``,
  ``return_for_revision``, ``contributions``
- ``cases.publishing.apply_published(session, ReplyPublished, now)``
- ``cases.people``: ``add_absence``, ``reassign_absent``, ``pick_executor``, ``get_person``
- ``cases.watch.tick(session, now)``
- ``cases.queries``: ``curator_queue``, ``agency_inbox``, ``case_timeline``, ``case_clocks``,
  ``published_registry``, ``breaches_by_agency``

Every action takes ``now`` and leaves its audit record, clock changes and outbox rows in the
caller's session; the caller commits (one transaction per action) or rolls back (nothing happened).
"""

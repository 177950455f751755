"""One test per clause of the regulation (CLAUSES.md R6-R23); each name carries the clause id.

The simulated clock starts on Monday 2 March 2026, 10:00 in Novokuznetsk (a plain working day;
schedule 09:00-18:00, lunch 13:00-14:00). Hand-computed due times are chosen away from day edges.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from cases import drafting, outbox, people, workflow
from cases.errors import IllegalTransition, InvalidDraft, InvalidInput, PermissionDenied, ReturnWindowClosed
from cases.models import AuditRecord, Breach, Person
from cases.queries import case_timeline
from schemas import Alert, Attachment, ModerationFlag, RepeatCandidate, ReplyApproved
from sla_tracker.clocks import ClockKind
from tests.cases.flow import CURATOR, Flow
from tests.cases.helpers import TEXTS, clock_of, local

T0 = local(2, 10)


def _messages(flow: Flow, topic: str) -> list[bytes]:
    return [r.payload for r in outbox.pending(flow.s, limit=10_000) if r.topic == topic]


def _audit_count(flow: Flow) -> int:
    return len(flow.s.scalars(select(AuditRecord)).all())


def _ready(
    flow: Flow, uid: str, agencies: tuple[str, ...] = ("min-zhkh",), importance: str = "normal"
) -> tuple[int, list[int]]:
    """A case triaged at 10:05, routed at 10:10 and received by every agency at 10:15."""
    case_id = flow.open(uid, T0)
    flow.triage(case_id, local(2, 10, 5), importance=importance)
    assignments = flow.route(case_id, local(2, 10, 10), agencies)
    for a in assignments:
        flow.receive(a, local(2, 10, 15))
    return case_id, assignments


def test_r6_only_curators_triage_route_approve_and_nothing_changes_on_refusal(flow: Flow) -> None:
    case_id = flow.open("vk:-1:60", T0)
    before = _audit_count(flow)
    for who in ("zhkh-exec1", "zhkh-lead", "analyst", "admin"):
        with pytest.raises(PermissionDenied):
            workflow.triage(
                flow.s,
                who,
                case_id,
                topic="roads",
                municipality="kemerovo",
                importance="normal",
                now=T0,
                config=flow.config,
            )
        flow.s.rollback()
    flow.triage(case_id, local(2, 10, 5))
    with pytest.raises(PermissionDenied):
        workflow.route(flow.s, "zhkh-exec1", case_id, ["min-zhkh"], local(2, 10, 6), config=flow.config)
    flow.s.rollback()
    (a,) = flow.route(case_id, local(2, 10, 10))
    with pytest.raises(PermissionDenied):  # another agency's executor
        workflow.receive(flow.s, "health-exec1", a, local(2, 10, 11), config=flow.config)
    flow.s.rollback()
    flow.receive(a, local(2, 10, 15))
    flow.draft(case_id, local(2, 11))
    with pytest.raises(PermissionDenied):
        drafting.approve(flow.s, "zhkh-lead", case_id, local(2, 11, 5), config=flow.config)
    flow.s.rollback()
    assert flow.case(case_id).state == "under_approval"
    assert _audit_count(flow) == before + 4  # triaged, routed, received, draft_sent only


def test_illegal_transitions_raise_named_error(flow: Flow) -> None:
    case_id = flow.open("vk:-1:61", T0)
    with pytest.raises(IllegalTransition):
        workflow.route(flow.s, CURATOR, case_id, ["min-zhkh"], T0, config=flow.config)
    with pytest.raises(IllegalTransition):
        drafting.approve(flow.s, CURATOR, case_id, T0, config=flow.config)
    flow.s.rollback()
    assert flow.case(case_id).state == "detected"


def test_r7_1_curator_sets_topic_location_importance_and_suggestion_is_kept(flow: Flow) -> None:
    case_id = flow.open("vk:-1:71", T0)
    workflow.triage(
        flow.s,
        CURATOR,
        case_id,
        topic="heating",
        topic_group="zhkh",
        municipality="novokuznetsk",
        settlement="Новокузнецк",
        importance="normal",
        now=local(2, 10, 5),
        config=flow.config,
    )
    flow.s.commit()
    case = flow.case(case_id)
    assert (case.state, case.topic, case.municipality, case.importance) == (
        "triaged",
        "heating",
        "novokuznetsk",
        "normal",
    )
    (entry,) = [e for e in case_timeline(flow.s, case_id) if e.action == "triaged"]
    assert entry.actor == CURATOR
    assert entry.details["decision"]["topic"] == "heating"
    assert entry.details["suggestion"]["topics"][0]["topic"] == "roads"  # suggested, overruled, kept
    assert entry.details["suggestion"]["location"]["municipality"] == "kemerovo"
    with pytest.raises(InvalidInput):
        workflow.triage(
            flow.s,
            CURATOR,
            case_id,
            topic="x",
            municipality=None,
            importance="urgent",
            now=local(2, 10, 6),
            config=flow.config,
        )


def test_r7_2_shortened_term_moves_deadlines_earlier(flow: Flow) -> None:
    normal = flow.open("vk:-1:721", T0)
    short = flow.open("vk:-1:722", T0)
    flow.triage(normal, local(2, 10, 5))
    flow.triage(short, local(2, 10, 5), shortened=True)
    for kind in ("draft", "reply"):
        n, s = clock_of(flow.case(normal), kind), clock_of(flow.case(short), kind)
        assert s.due_at == flow.config.policy.due(ClockKind(kind), T0, importance="normal", shortened=True)
        assert s.due_at < n.due_at
    assert flow.case(short).shortened is True


def test_r7_3_routing_due_30_minutes_after_detection_and_late_routing_is_a_breach(flow: Flow) -> None:
    on_time = flow.open("vk:-1:731", T0)
    late = flow.open("vk:-1:732", T0)
    assert clock_of(flow.case(on_time), "routing").due_at == local(2, 10, 30)
    flow.triage(on_time, local(2, 10, 10))
    flow.route(on_time, local(2, 10, 20))
    routing = clock_of(flow.case(on_time), "routing")
    assert routing.stopped_at == local(2, 10, 20) and routing.breached_at is None
    fired = flow.tick(local(2, 10, 31))
    assert [(f.case_id, f.kind, f.level) for f in fired if f.level == "breach"] == [(late, "routing", "breach")]
    breach = flow.s.scalars(select(Breach)).one()
    assert breach.case_id == late and breach.kind == "routing" and breach.due_at == local(2, 10, 30)


def test_r8_1_agency_without_executors_cannot_hide_work(flow: Flow) -> None:
    lead = flow.s.scalars(select(Person).where(Person.login == "zhkh-lead")).one()
    assert lead.role == "agency_lead" and lead.agency_code == "min-zhkh"
    assert people.pick_executor(flow.s, "min-zhkh", T0) is not None
    assert people.pick_executor(flow.s, "min-sport", T0) is None  # no staff seeded: routing still records it


def test_r8_2_absent_executor_cases_go_to_the_substitute(flow: Flow) -> None:
    case_id = flow.open("vk:-1:82", T0)
    flow.triage(case_id, local(2, 10, 5))
    (a,) = flow.route(case_id, local(2, 10, 10))
    assert flow.case(case_id).assignments[0].executor.login == "zhkh-exec1"  # type: ignore[union-attr]
    with pytest.raises(InvalidInput):
        people.add_absence(flow.s, CURATOR, "zhkh-exec1", T0, T0 + timedelta(days=5), "holiday", "zhkh-exec2", T0)
    with pytest.raises(PermissionDenied):
        people.add_absence(flow.s, "health-lead", "zhkh-exec1", T0, T0 + timedelta(days=5), "sick", "zhkh-exec2", T0)
    people.add_absence(flow.s, "zhkh-lead", "zhkh-exec1", local(2, 12), local(9, 9), "sick", "zhkh-exec2", T0)
    flow.s.commit()
    assert people.reassign_absent(flow.s, local(2, 11)) == []  # absence not started yet
    assert people.reassign_absent(flow.s, local(2, 12, 1)) == [a]
    flow.s.commit()
    case = flow.case(case_id)
    assert case.assignments[0].executor.login == "zhkh-exec2"  # type: ignore[union-attr]
    assert [e.details["to"] for e in case_timeline(flow.s, case_id) if e.action == "substitute_assigned"] == [
        "zhkh-exec2"
    ]
    # new cases routed during the absence skip the absent executor
    other = flow.open("vk:-1:83", local(3, 10))
    flow.triage(other, local(3, 10, 1))
    flow.route(other, local(3, 10, 2))
    assert flow.case(other).assignments[0].executor.login == "zhkh-exec2"  # type: ignore[union-attr]


def test_r9_return_as_not_competent_within_30_minutes_of_receipt_with_reason(flow: Flow) -> None:
    case_id, (a,) = _ready(flow, "vk:-1:91")
    r9 = clock_of(flow.case(case_id), "competence_return", a)
    assert r9.started_at == local(2, 10, 15) and r9.due_at == local(2, 10, 45)
    with pytest.raises(InvalidInput):
        workflow.return_not_competent(flow.s, "zhkh-exec1", a, "  ", local(2, 10, 20), config=flow.config)
    flow.give_back(a, local(2, 10, 40), "Дорога муниципальная, вопрос администрации Кемерова")
    case = flow.case(case_id)
    assert case.state == "returned" and case.assignments[0].returned_reason.startswith("Дорога")  # type: ignore[union-attr]
    assert clock_of(case, "competence_return", a).stopped_at == local(2, 10, 40)
    _late_case, (b,) = _ready(flow, "vk:-1:92")
    with pytest.raises(ReturnWindowClosed):
        workflow.return_not_competent(flow.s, "zhkh-exec1", b, "Не наше", local(2, 10, 46), config=flow.config)


def test_r10_curator_reroutes_within_30_minutes_of_the_return(flow: Flow) -> None:
    case_id, (a,) = _ready(flow, "vk:-1:101")
    flow.give_back(a, local(2, 10, 30))
    r10 = clock_of(flow.case(case_id), "rerouting")
    assert r10.started_at == local(2, 10, 30) and r10.due_at == local(2, 11)
    (b,) = flow.route(case_id, local(2, 10, 50), ["adm-kemerovo"])
    case = flow.case(case_id)
    assert case.state == "routed" and clock_of(case, "rerouting").stopped_at == local(2, 10, 50)
    new = next(x for x in case.assignments if x.id == b)
    assert new.round_no == 2 and new.agency_code == "adm-kemerovo"
    assert "rerouted" in [e.action for e in case_timeline(flow.s, case_id)]


def test_r11_reply_due_8_working_hours_after_detection(flow: Flow) -> None:
    case = flow.case(flow.open("vk:-1:111", T0))
    assert clock_of(case, "reply").due_at == local(3, 10)  # 10-13, 14-18 = 7 h, then 09-10 next day


def test_r12_high_importance_reply_due_4_working_hours_and_governor_alerted(flow: Flow) -> None:
    case_id = flow.open("vk:-1:121", T0)
    flow.triage(case_id, local(2, 10, 5), importance="high")
    case = flow.case(case_id)
    assert clock_of(case, "reply").due_at == local(2, 15)  # 10-13 = 3 h, 14-15 = 1 h
    alerts = [Alert.from_bytes(p) for p in _messages(flow, "alerts")]
    assert [(a.kind, a.case_id) for a in alerts] == [("high_importance", case_id)]
    assert "governor" in alerts[0].recipients


def test_r13_1_executor_sends_draft_interim_or_clarification(flow: Flow) -> None:
    for n, kind in enumerate(("final", "interim", "clarification")):
        case_id, _ = _ready(flow, f"vk:-1:13{n}")
        d = flow.draft(case_id, local(2, 11), kind=kind)
        assert d.kind == kind and flow.case(case_id).state == "under_approval"
    case_id, _ = _ready(flow, "vk:-1:139")
    with pytest.raises(InvalidDraft):
        drafting.submit_draft(flow.s, "zhkh-exec1", case_id, "contribution", "Часть", local(2, 11), config=flow.config)


def test_r13_2_draft_due_4_working_hours_normal_2_high_and_late_draft_is_breach(flow: Flow) -> None:
    normal_id, _ = _ready(flow, "vk:-1:1321")
    high_id, _ = _ready(flow, "vk:-1:1322", importance="high")
    assert clock_of(flow.case(normal_id), "draft").due_at == local(2, 15)
    assert clock_of(flow.case(high_id), "draft").due_at == local(2, 12)
    flow.draft(normal_id, local(2, 14, 30))
    assert clock_of(flow.case(normal_id), "draft").stopped_at == local(2, 14, 30)
    flow.tick(local(2, 12, 1))
    breach = flow.s.scalars(select(Breach).where(Breach.kind == "draft")).one()
    assert breach.case_id == high_id and breach.agency_code == "min-zhkh"
    assert flow.s.get(Person, breach.person_id).login == "zhkh-exec1"  # type: ignore[union-attr]


def test_r14_curator_approves_within_30_minutes_and_reply_goes_to_publisher(flow: Flow) -> None:
    case_id, _ = _ready(flow, "vk:-1:141")
    d = flow.draft(case_id, local(2, 12, 45))
    assert clock_of(flow.case(case_id), "approval").due_at == local(2, 14, 15)  # lunch 13-14 does not count
    flow.approve(case_id, local(2, 14))
    case = flow.case(case_id)
    assert case.state == "approved" and clock_of(case, "approval").stopped_at == local(2, 14)
    (msg,) = [ReplyApproved.from_bytes(p) for p in _messages(flow, "replies.approved")]
    assert msg.reply_id == d.reply_id == f"reply-{d.id}" and msg.case_id == case_id and msg.approved_by == CURATOR
    assert msg.post_uid == "vk:-1:141" and msg.text == d.text


def test_r15_returned_draft_revised_within_1_hour(flow: Flow) -> None:
    case_id, _ = _ready(flow, "vk:-1:151")
    flow.draft(case_id, local(2, 11))
    with pytest.raises(InvalidDraft):
        drafting.return_for_revision(flow.s, CURATOR, case_id, "", local(2, 12), config=flow.config)
    flow.s.rollback()
    returned = flow.send_back(case_id, local(2, 12, 30), "Добавьте срок ремонта")
    case = flow.case(case_id)
    assert case.state == "revision" and returned.decision == "returned" and returned.comment == "Добавьте срок ремонта"
    assert clock_of(case, "revision").due_at == local(2, 14, 30)
    second = flow.draft(case_id, local(2, 14, 10), text="Люк закроют 5 марта.")
    case = flow.case(case_id)
    assert second.version == 2 and case.state == "under_approval"
    assert clock_of(case, "revision").stopped_at == local(2, 14, 10)


def test_r16_approved_reply_posted_within_30_minutes_and_recorded(flow: Flow) -> None:
    case_id, _ = _ready(flow, "vk:-1:161")
    flow.draft(case_id, local(2, 11))
    d = flow.approve(case_id, local(2, 11, 20))
    assert clock_of(flow.case(case_id), "posting").due_at == local(2, 11, 50)
    out = flow.published(d.reply_id or "", case_id, local(2, 11, 25))
    assert out.applied and out.state == "published"
    again = flow.published(d.reply_id or "", case_id, local(2, 11, 26))
    assert not again.applied  # at-least-once delivery: the second copy changes nothing
    case = flow.case(case_id)
    assert case.closed_at == local(2, 11, 25) and all(c.stopped_at is not None for c in case.clocks)
    draft = case.drafts[-1]
    assert draft.published_at == local(2, 11, 25) and draft.published_url and "reply-" in draft.published_url


def test_r17_interim_reply_opens_7_working_day_clock_for_the_final(flow: Flow) -> None:
    case_id, _ = _ready(flow, "vk:-1:171")
    flow.draft(case_id, local(2, 11), kind="interim", text="Проверка назначена, ответим по итогам.")
    d = flow.approve(case_id, local(2, 11, 10))
    flow.published(d.reply_id or "", case_id, local(2, 11, 20))
    case = flow.case(case_id)
    assert case.state == "awaiting_final"
    r17 = clock_of(case, "final_after_interim")
    assert r17.started_at == local(2, 11, 20)
    assert r17.due_at == flow.config.policy.due(ClockKind.FINAL_AFTER_INTERIM, local(2, 11, 20))
    assert r17.due_at >= local(11, 11, 20)  # 7 working days, Monday 9 March is a holiday
    assert clock_of(case, "reply").stopped_at == local(2, 11, 20)
    with pytest.raises(IllegalTransition):
        drafting.submit_draft(flow.s, "zhkh-exec1", case_id, "interim", "Ещё раз", local(3, 10), config=flow.config)
    flow.s.rollback()
    flow.draft(case_id, local(4, 10), text="Ремонт выполнен.")
    assert clock_of(flow.case(case_id), "final_after_interim").stopped_at == local(4, 10)


def test_r18_1_curator_sets_the_order_of_agencies(flow: Flow) -> None:
    case_id, (first, second) = _ready(flow, "vk:-1:181", ("adm-kemerovo", "min-zhkh"))
    case = flow.case(case_id)
    assert [(a.agency_code, a.order_no) for a in case.assignments] == [("adm-kemerovo", 1), ("min-zhkh", 2)]
    flow.contribute(second, local(2, 11), "Часть министерства")
    flow.contribute(first, local(2, 11, 30), "Часть администрации")
    parts = drafting.contributions(flow.case(case_id))
    assert [p.text for p in parts] == ["Часть администрации", "Часть министерства"]
    other = flow.open("vk:-1:182", T0)
    flow.triage(other, local(2, 10, 5))
    with pytest.raises(InvalidInput):
        workflow.route(flow.s, CURATOR, other, ["min-zhkh", "min-zhkh"], T0, config=flow.config)


def test_r18_2_each_agency_sends_its_part_within_2_hours_of_receipt(flow: Flow) -> None:
    case_id, (a, b) = _ready(flow, "vk:-1:1821", ("min-zhkh", "adm-kemerovo"))
    case = flow.case(case_id)
    assert clock_of(case, "contribution", a).due_at == local(2, 12, 15)
    assert clock_of(case, "contribution", b).due_at == local(2, 12, 15)
    flow.contribute(a, local(2, 11))
    assert clock_of(flow.case(case_id), "contribution", a).stopped_at == local(2, 11)
    flow.tick(local(2, 12, 16))
    (breach,) = flow.s.scalars(select(Breach).where(Breach.kind == "contribution")).all()
    assert breach.agency_code == "adm-kemerovo"


def test_r18_3_curator_writes_the_joint_draft_from_all_parts(flow: Flow) -> None:
    case_id, (a, b) = _ready(flow, "vk:-1:183", ("min-zhkh", "adm-kemerovo"))
    with pytest.raises(IllegalTransition):
        drafting.submit_draft(flow.s, "zhkh-exec1", case_id, "final", "Ответ", local(2, 11), config=flow.config)
    flow.s.rollback()
    flow.contribute(a, local(2, 11))
    with pytest.raises(IllegalTransition, match="adm-kemerovo"):
        drafting.write_joint_draft(flow.s, CURATOR, case_id, "Ответ", local(2, 11, 5), config=flow.config)
    flow.s.rollback()
    flow.contribute(b, local(2, 11, 30))
    with pytest.raises(PermissionDenied):
        drafting.write_joint_draft(flow.s, "zhkh-exec1", case_id, "Ответ", local(2, 11, 35), config=flow.config)
    flow.s.rollback()
    joint = flow.joint(case_id, local(2, 12))
    case = flow.case(case_id)
    assert joint.kind == "joint" and joint.author.login == CURATOR and case.state == "under_approval"
    assert clock_of(case, "reply").due_at == local(3, 10) and clock_of(case, "reply").stopped_at is None
    d = flow.approve(case_id, local(2, 12, 10))
    flow.published(d.reply_id or "", case_id, local(2, 12, 20))
    assert clock_of(flow.case(case_id), "reply").stopped_at == local(2, 12, 20)  # within R11


def test_r19_1_repeat_post_is_linked_to_the_earlier_case(flow: Flow) -> None:
    earlier = flow.open("vk:-1:191", T0)
    repeat = flow.open("vk:-1:192", local(2, 11), repeats=[RepeatCandidate(uid="vk:-1:191", similarity=0.9)])
    assert [c.id for c in flow.case(repeat).repeat_of] == [earlier]
    third = flow.open("vk:-1:193", local(2, 12), text=TEXTS["bus"])
    workflow.link_repeat(flow.s, CURATOR, third, [earlier, repeat], local(2, 12, 5))
    flow.s.commit()
    assert sorted(c.id for c in flow.case(third).repeat_of) == sorted([earlier, repeat])
    with pytest.raises(InvalidInput):
        workflow.link_repeat(flow.s, CURATOR, third, [third], local(2, 12, 6))


def test_r19_2_reply_to_a_repeat_post_must_report_measures_taken(flow: Flow) -> None:
    flow.open("vk:-1:1950", T0)
    case_id = flow.open("vk:-1:1951", T0, repeats=[RepeatCandidate(uid="vk:-1:1950", similarity=0.95)])
    flow.triage(case_id, local(2, 10, 5))
    (a,) = flow.route(case_id, local(2, 10, 10))
    flow.receive(a, local(2, 10, 15))
    with pytest.raises(InvalidDraft, match="мерах"):
        drafting.submit_draft(flow.s, "zhkh-exec1", case_id, "final", "Разберёмся.", local(2, 11), config=flow.config)
    flow.s.rollback()
    d = flow.draft(case_id, local(2, 11), measures="Подрядчику выписано предписание, люк заменён 3 марта.")
    assert d.measures and d.measures.startswith("Подрядчику")


def test_r20_repeat_posts_follow_the_same_procedure(flow: Flow) -> None:
    flow.open("vk:-1:200", T0)
    case_id = flow.open("vk:-1:201", T0, repeats=[RepeatCandidate(uid="vk:-1:200", similarity=0.9)])
    flow.triage(case_id, local(2, 10, 5))
    (a,) = flow.route(case_id, local(2, 10, 10))
    flow.receive(a, local(2, 10, 15))
    with pytest.raises(ReturnWindowClosed):  # R9 applies to repeats too
        workflow.return_not_competent(flow.s, "zhkh-exec1", a, "Не наше", local(2, 11), config=flow.config)
    flow.s.rollback()
    flow.draft(case_id, local(2, 11), measures="Выполнен ремонт покрытия.")
    d = flow.approve(case_id, local(2, 11, 10))
    flow.published(d.reply_id or "", case_id, local(2, 11, 20))
    assert [c.kind for c in flow.case(case_id).clocks].count("reply") == 1
    assert flow.case(case_id).state == "published"


def test_r21_reply_fits_the_network_format(flow: Flow) -> None:
    case_id = flow.open("twitter:kuzbass:211", T0, network="twitter")
    flow.triage(case_id, local(2, 10, 5))
    (a,) = flow.route(case_id, local(2, 10, 10))
    flow.receive(a, local(2, 10, 15))
    limit = flow.config.networks["twitter"].max_chars
    with pytest.raises(InvalidDraft, match=str(limit)):
        drafting.submit_draft(
            flow.s, "zhkh-exec1", case_id, "final", "а" * (limit + 1), local(2, 11), config=flow.config
        )
    flow.s.rollback()
    with pytest.raises(InvalidDraft):
        drafting.submit_draft(
            flow.s,
            "zhkh-exec1",
            case_id,
            "final",
            "Фото",
            local(2, 11),
            attachments=[Attachment(kind="doc", url="https://example.org/a.pdf")],
            config=flow.config,
        )
    flow.s.rollback()
    d = drafting.submit_draft(
        flow.s,
        "zhkh-exec1",
        case_id,
        "final",
        "б" * limit,
        local(2, 11),
        attachments=[Attachment(kind="photo", url="https://example.org/p.jpg")],
        config=flow.config,
    )
    flow.s.commit()
    assert len(d.text) == limit and d.attachments[0]["kind"] == "photo"


def test_r22_excluded_with_reason_and_only_a_curator_may_reinstate_or_exclude(flow: Flow) -> None:
    flag = ModerationFlag(rule="obscenity", span=(0, 4), fragment="****")
    case_id = flow.intake("vk:-1:221", T0, moderation=[flag]).case_id
    case = flow.case(case_id)
    assert case.state == "excluded" and case.excluded_reason == "R22: obscenity"
    assert [e.action for e in case_timeline(flow.s, case_id)] == ["opened"]
    with pytest.raises(PermissionDenied):
        workflow.reinstate(flow.s, "zhkh-exec1", case_id, local(2, 10, 5), config=flow.config)
    workflow.reinstate(flow.s, CURATOR, case_id, local(2, 10, 5), config=flow.config)
    flow.s.commit()
    case = flow.case(case_id)
    assert case.state == "detected" and clock_of(case, "routing").started_at == local(2, 10, 5)
    with pytest.raises(InvalidInput):
        workflow.exclude(flow.s, CURATOR, case_id, "", local(2, 10, 6))
    workflow.exclude(flow.s, CURATOR, case_id, "Угроза должностному лицу", local(2, 10, 7))
    flow.s.commit()
    case = flow.case(case_id)
    assert case.state == "excluded" and all(c.stopped_at == local(2, 10, 7) for c in case.clocks)


def test_r23_audit_trail_shows_who_prepared_each_draft_and_when_it_was_sent(flow: Flow) -> None:
    case_id, (_a,) = _ready(flow, "vk:-1:231")
    flow.draft(case_id, local(2, 11))
    flow.send_back(case_id, local(2, 11, 10))
    workflow_person = "zhkh-exec2"
    drafting.submit_draft(
        flow.s, workflow_person, case_id, "final", "Исправленный ответ", local(2, 11, 40), config=flow.config
    )
    flow.s.commit()
    sent = [e for e in case_timeline(flow.s, case_id) if e.action == "draft_sent"]
    assert [(e.actor, e.details["author"], e.details["sent_at"], e.details["version"]) for e in sent] == [
        ("zhkh-exec1", "zhkh-exec1", local(2, 11).isoformat(), 1),
        ("zhkh-exec2", "zhkh-exec2", local(2, 11, 40).isoformat(), 2),
    ]
    assert all(e.at for e in sent)


def test_r18_2_joint_case_left_with_one_agency_becomes_an_ordinary_case(flow: Flow) -> None:
    case_id, (a, b) = _ready(flow, "vk:-1:1822", ("min-zhkh", "adm-kemerovo"))
    flow.give_back(a, local(2, 10, 30))
    case = flow.case(case_id)
    assert case.state == "in_work" and clock_of(case, "contribution", b).stopped_at == local(2, 10, 30)
    flow.draft(case_id, local(2, 11), agency="adm-kemerovo")
    assert flow.case(case_id).state == "under_approval"


def test_r12_importance_raised_after_routing_recomputes_open_clocks_and_alerts(flow: Flow) -> None:
    case_id, _ = _ready(flow, "vk:-1:122")
    assert clock_of(flow.case(case_id), "reply").due_at == local(3, 10)
    with pytest.raises(PermissionDenied):
        workflow.set_importance(flow.s, "zhkh-exec1", case_id, "high", local(2, 10, 40), config=flow.config)
    workflow.set_importance(flow.s, CURATOR, case_id, "high", local(2, 10, 40), config=flow.config)
    flow.s.commit()
    case = flow.case(case_id)
    assert clock_of(case, "reply").due_at == local(2, 15) and clock_of(case, "draft").due_at == local(2, 12)
    assert clock_of(case, "reply").started_at == T0  # still measured from detection
    assert [Alert.from_bytes(p).kind for p in _messages(flow, "alerts")] == ["high_importance"]


def test_r16_executor_records_a_reply_posted_by_hand(flow: Flow) -> None:
    from cases.publishing import record_posted_by_hand

    case_id, _ = _ready(flow, "vk:-1:162")
    flow.draft(case_id, local(2, 11))
    flow.approve(case_id, local(2, 11, 10))
    with pytest.raises(PermissionDenied):
        record_posted_by_hand(flow.s, "health-exec1", case_id, "https://vk.com/wall-1_162?reply=5", local(2, 11, 20))
    with pytest.raises(InvalidInput):
        record_posted_by_hand(flow.s, "zhkh-exec1", case_id, "javascript:alert(1)", local(2, 11, 20))
    out = record_posted_by_hand(
        flow.s, "zhkh-exec1", case_id, "https://vk.com/wall-1_162?reply=5", local(2, 11, 20), config=flow.config
    )
    flow.s.commit()
    assert out.state == "published"
    (entry,) = [e for e in case_timeline(flow.s, case_id) if e.action == "published"]
    assert entry.actor == "zhkh-exec1" and entry.details["url"] == "https://vk.com/wall-1_162?reply=5"


def test_r8_2_absence_starting_now_moves_open_cases_at_once(flow: Flow) -> None:
    case_id = flow.open("vk:-1:84", T0)
    flow.triage(case_id, local(2, 10, 5))
    flow.route(case_id, local(2, 10, 10))
    people.add_absence(
        flow.s, "admin", "zhkh-exec1", local(2, 10, 30), local(6, 18), "trip", "zhkh-exec2", local(2, 10, 30)
    )
    flow.s.commit()
    assert flow.case(case_id).assignments[0].executor.login == "zhkh-exec2"  # type: ignore[union-attr]

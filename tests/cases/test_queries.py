"""Read side: curator queue order, agency inbox, timeline, R27 registry with filters."""

from __future__ import annotations

from cases.queries import agency_inbox, breaches_by_agency, case_timeline, curator_queue, published_registry
from tests.cases.flow import Flow
from tests.cases.helpers import TEXTS, local


def test_curator_queue_nearest_deadline_first_then_importance(flow: Flow) -> None:
    later = flow.open("vk:-3:1", local(2, 10, 20))
    sooner = flow.open("vk:-3:2", local(2, 10))
    high = flow.open("vk:-3:3", local(2, 10), text=TEXTS["heat"], importance="high")
    done = flow.open("vk:-3:4", local(2, 9))
    flow.triage(done, local(2, 9, 5))
    (a,) = flow.route(done, local(2, 9, 10))
    flow.receive(a, local(2, 9, 15))
    flow.draft(done, local(2, 9, 30))
    d = flow.approve(done, local(2, 9, 40))
    flow.published(d.reply_id or "", done, local(2, 9, 45))
    queue = curator_queue(flow.s)
    assert [i.case_id for i in queue] == [high, sooner, later]  # same routing due: high importance first
    assert queue[0].next_clock == "routing" and queue[0].next_due == local(2, 10, 30)
    assert queue[2].text_preview.startswith("На улице Кирова")


def test_agency_inbox_shows_only_live_assignments(flow: Flow) -> None:
    mine = flow.open("vk:-3:10", local(2, 10))
    other = flow.open("vk:-3:11", local(2, 10))
    for case_id, agency in ((mine, "adm-kemerovo"), (other, "min-health")):
        flow.triage(case_id, local(2, 10, 5))
        flow.route(case_id, local(2, 10, 10), [agency])
    assert [i.case_id for i in agency_inbox(flow.s, "adm-kemerovo")] == [mine]
    (a,) = [x.id for x in flow.case(mine).assignments]
    flow.receive(a, local(2, 10, 15))
    flow.give_back(a, local(2, 10, 20))
    assert agency_inbox(flow.s, "adm-kemerovo") == []


def test_timeline_and_registry_of_published_replies_r27(flow: Flow) -> None:
    ids = []
    for n, (network, agency) in enumerate((("vk", "min-zhkh"), ("ok", "adm-kemerovo"), ("vk", "adm-kemerovo"))):
        uid = f"{network}:-3:2{n}"
        case_id = flow.open(uid, local(2, 10), network=network)
        flow.triage(case_id, local(2, 10, 5))
        (a,) = flow.route(case_id, local(2, 10, 10), [agency])
        flow.receive(a, local(2, 10, 15))
        flow.draft(case_id, local(2, 11), agency=agency)
        d = flow.approve(case_id, local(2, 11, 10))
        flow.published(d.reply_id or "", case_id, local(2, 11, 20 + n))
        ids.append(case_id)
    flow.open("vk:-3:29", local(2, 10))  # never answered: not in the registry
    everything = published_registry(flow.s)
    assert [e.case_id for e in everything] == list(reversed(ids))
    assert [e.case_id for e in published_registry(flow.s, network="vk")] == [ids[2], ids[0]]
    assert [e.case_id for e in published_registry(flow.s, agency="adm-kemerovo")] == [ids[2], ids[1]]
    assert [e.case_id for e in published_registry(flow.s, since=local(2, 11, 21), until=local(2, 11, 22))] == [ids[1]]
    entry = everything[0]
    assert entry.reply_url and entry.author_login == "kem-exec1" and entry.approved_at == local(2, 11, 10)
    actions = [e.action for e in case_timeline(flow.s, ids[0])]
    assert actions == ["opened", "triaged", "routed", "received", "draft_sent", "approved", "published"]
    assert breaches_by_agency(flow.s) == {}

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from classifier.repeats import RepeatIndex

T0 = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)
WATER = "На улице Кирова 12 в Новокузнецке нет горячей воды уже неделю, управляющая компания молчит"
WATER_AGAIN = "Уже неделю нет горячей воды на Кирова 12 (Новокузнецк), УК молчит!"
POTHOLE = "В Кемерове на проспекте Ленина огромная яма, машины бьют колёса"


@pytest.fixture
def index() -> RepeatIndex:
    idx = RepeatIndex(window_days=30)
    idx.add("vk:1:1", 101, WATER, "novokuznetsk", T0)
    idx.add("vk:1:2", 102, POTHOLE, "kemerovo", T0)
    return idx


def test_r19_repeat_found_with_case_similarity_and_reason(index):
    (cand,) = index.find(WATER_AGAIN, "novokuznetsk", T0 + timedelta(days=3))
    assert cand.uid == "vk:1:1" and cand.case_id == 101
    assert 0.5 <= cand.similarity <= 1
    assert "то же место" in cand.reason and "3 дн. назад" in cand.reason


def test_r19_different_place_is_not_a_repeat(index):
    assert index.find(WATER_AGAIN, "kemerovo", T0 + timedelta(days=1)) == []


def test_r19_unrelated_text_is_not_a_repeat(index):
    assert index.find("Спасибо за новую детскую площадку!", "novokuznetsk", T0 + timedelta(days=1)) == []


def test_r19_outside_window_is_not_a_repeat():
    idx = RepeatIndex(window_days=7)
    idx.add("vk:1:1", 1, WATER, "novokuznetsk", T0)
    assert idx.find(WATER_AGAIN, "novokuznetsk", T0 + timedelta(days=8)) == []
    assert idx.find(WATER_AGAIN, "novokuznetsk", T0 + timedelta(days=6))


def test_r19_later_posts_are_not_earlier_cases(index):
    assert index.find(WATER_AGAIN, "novokuznetsk", T0 - timedelta(hours=1)) == []


def test_r19_unknown_place_needs_near_verbatim_text(index):
    assert index.find(WATER, None, T0 + timedelta(hours=2))[0].uid == "vk:1:1"
    loose = "нет горячей воды неделю, Кирова"
    assert index.find(loose, None, T0 + timedelta(hours=2)) == []


def test_r19_results_sorted_and_limited():
    idx = RepeatIndex()
    for i in range(8):
        idx.add(f"vk:1:{i}", i, WATER + (" срочно" if i % 2 else ""), "novokuznetsk", T0 + timedelta(hours=i))
    found = idx.find(WATER, "novokuznetsk", T0 + timedelta(days=1), limit=3)
    assert len(found) == 3
    assert [c.similarity for c in found] == sorted((c.similarity for c in found), reverse=True)


def test_new_version_of_a_post_replaces_the_old_one():
    idx = RepeatIndex()
    idx.add("vk:1:1", 1, WATER, "novokuznetsk", T0)
    idx.add("vk:1:1", 1, POTHOLE, "kemerovo", T0 + timedelta(minutes=5))
    assert len(idx) == 1
    assert idx.find(WATER_AGAIN, "novokuznetsk", T0 + timedelta(hours=1)) == []


def test_old_entries_expire_from_memory():
    idx = RepeatIndex(window_days=1)
    idx.add("vk:1:1", 1, WATER, "novokuznetsk", T0)
    idx.add("vk:1:2", 2, POTHOLE, "kemerovo", T0 + timedelta(days=3))
    assert len(idx) == 1


def test_similar_count_counts_recent_posts_anywhere(index):
    index.add("vk:2:1", None, "Нет горячей воды неделю на Кирова, управляющая компания молчит", None,
              T0 + timedelta(hours=1))
    at = T0 + timedelta(hours=2)
    assert index.similar_count(WATER_AGAIN, at) == 2
    assert index.similar_count(WATER_AGAIN, T0 + timedelta(days=2)) == 0


def test_naive_timestamps_are_refused():
    idx = RepeatIndex()
    with pytest.raises(ValueError, match="time zone"):
        idx.add("vk:1:1", 1, WATER, None, datetime(2026, 1, 1))
    with pytest.raises(ValueError, match="positive"):
        RepeatIndex(window_days=0)


def test_empty_and_huge_texts():
    idx = RepeatIndex()
    idx.add("vk:1:1", 1, "", None, T0)
    assert idx.find("", None, T0) == []
    idx.add("vk:1:2", 2, "слово " * 200_000, None, T0)
    assert idx.similar_count("слово", T0) == 1


def test_r19_mass_issue_links_the_newest_posts_and_still_finds_an_old_distinct_one():
    """A mass issue fills every stem's posting; look-ups read only the newest ids per stem."""
    index = RepeatIndex(recent_per_stem=20)
    t0 = datetime(2026, 1, 12, 8, tzinfo=UTC)
    index.add("rare", 7, "Прорыв трубы на Кирова 12 в Новокузнецке, вода хлещет в подвал", "nvkz", t0)
    mass = "Нет горячей воды в Новокузнецке третий день, когда дадут воду"
    for i in range(200):
        index.add(f"mass-{i}", None, mass, "nvkz", t0 + timedelta(minutes=i + 1))
    now = t0 + timedelta(hours=5)
    found = index.find(mass, "nvkz", now)
    assert [c.uid for c in found] == [f"mass-{i}" for i in range(199, 194, -1)]
    rare = index.find("Прорыв трубы на Кирова 12 в Новокузнецке, вода хлещет в подвал!", "nvkz", now)
    assert [c.uid for c in rare] == ["rare"]
    assert index.similar_count(mass, now) <= 20


def test_r19_index_is_bounded_the_oldest_posts_go_first():
    """Memory stays bounded whatever the post rate: past ``max_entries`` the oldest posts are forgotten."""
    idx = RepeatIndex(window_days=30, max_entries=3)
    for i in range(5):
        idx.add(f"vk:1:{i}", i, f"{WATER} дом {i}", "novokuznetsk", T0 + timedelta(minutes=i))
    assert len(idx) == 3
    found = {c.uid for c in idx.find(WATER_AGAIN, "novokuznetsk", T0 + timedelta(hours=1), limit=10)}
    assert found == {"vk:1:2", "vk:1:3", "vk:1:4"}


def test_r19_candidates_most_similar_first_then_newest():
    idx = RepeatIndex(window_days=30)
    idx.add("vk:1:old", 1, WATER, "novokuznetsk", T0)
    idx.add("vk:1:new", 2, WATER, "novokuznetsk", T0 + timedelta(days=1))
    idx.add("vk:1:far", 3, WATER + " и отопления тоже нет, батареи холодные", "novokuznetsk", T0 + timedelta(days=2))
    uids = [c.uid for c in idx.find(WATER, "novokuznetsk", T0 + timedelta(days=3))]
    assert uids == ["vk:1:new", "vk:1:old", "vk:1:far"]


def test_r19_verbatim_repeats_link_the_newest_without_the_inverted_index():
    """A word-for-word repeat scores 1.0, the best possible: the newest such posts are the answer."""
    idx = RepeatIndex(window_days=30)
    for i in range(30):
        idx.add(f"vk:1:{i}", i, WATER, "novokuznetsk", T0 + timedelta(minutes=i))
    idx.add("vk:1:loose", 99, WATER_AGAIN, "novokuznetsk", T0 + timedelta(minutes=40))
    idx._postings.clear()  # the chain of identical stems alone must answer
    found = idx.find(WATER, "novokuznetsk", T0 + timedelta(hours=1))
    assert [c.uid for c in found] == [f"vk:1:{i}" for i in range(29, 24, -1)]
    assert all(c.similarity == 1.0 and "то же место" in c.reason for c in found)


def test_r19_few_verbatim_repeats_are_completed_by_looser_ones():
    idx = RepeatIndex(window_days=30)
    idx.add("vk:1:same", 1, WATER, "novokuznetsk", T0)
    idx.add("vk:1:loose", 2, WATER_AGAIN, "novokuznetsk", T0 + timedelta(minutes=5))
    idx.add("vk:1:elsewhere", 3, WATER, "kemerovo", T0 + timedelta(minutes=6))
    found = idx.find(WATER, "novokuznetsk", T0 + timedelta(hours=1))
    assert [c.uid for c in found] == ["vk:1:same", "vk:1:loose"]
    assert found[0].similarity == 1.0 > found[1].similarity


def test_r19_verbatim_repeat_at_another_known_place_is_not_linked():
    idx = RepeatIndex(window_days=30)
    for i in range(6):
        idx.add(f"vk:1:{i}", i, WATER, "kemerovo", T0 + timedelta(minutes=i))
    assert idx.find(WATER, "novokuznetsk", T0 + timedelta(hours=1)) == []
    assert [c.uid for c in idx.find(WATER, None, T0 + timedelta(hours=1), limit=2)] == ["vk:1:5", "vk:1:4"]


def test_r19_chain_survives_removal_expiry_and_replacement():
    idx = RepeatIndex(window_days=1, max_entries=4)
    for i in range(6):  # the two oldest are forgotten past max_entries
        idx.add(f"vk:1:{i}", i, WATER, "novokuznetsk", T0 + timedelta(minutes=i))
    idx.add("vk:1:3", 3, POTHOLE, "kemerovo", T0 + timedelta(minutes=10))  # a new version, other text
    uids = [c.uid for c in idx.find(WATER, "novokuznetsk", T0 + timedelta(hours=1), limit=10)]
    assert uids == ["vk:1:5", "vk:1:4", "vk:1:2"]
    idx.add("vk:1:9", 9, POTHOLE, "kemerovo", T0 + timedelta(days=2))  # everything before expires
    assert idx.find(WATER, "novokuznetsk", T0 + timedelta(days=2)) == []
    assert idx._same.keys() == {hash(idx._stems(POTHOLE)[0])}


def test_r12_similar_count_cap_means_at_least():
    idx = RepeatIndex(window_days=30)
    for i in range(15):
        idx.add(f"vk:1:{i}", None, WATER, None, T0 + timedelta(minutes=i))
    at = T0 + timedelta(hours=1)
    assert idx.similar_count(WATER, at) == 15
    assert idx.similar_count(WATER, at, cap=10) == 10
    assert idx.similar_count(WATER, at, cap=20) == 15
    assert idx.similar_count(WATER, T0 + timedelta(days=2), cap=10) == 0  # older than a day
    with pytest.raises(ValueError, match="cap"):
        idx.similar_count(WATER, at, cap=0)


def test_r12_similar_count_joins_verbatim_and_looser_posts_once_each():
    idx = RepeatIndex(window_days=30)
    idx.add("vk:1:1", None, WATER, None, T0)
    idx.add("vk:1:2", None, WATER_AGAIN, None, T0 + timedelta(minutes=1))
    assert idx.similar_count(WATER, T0 + timedelta(hours=1), cap=10) == 2


def test_index_entries_are_left_alone_by_the_garbage_collector() -> None:
    """Half a million tracked entries made every full collection walk them all (docs: repeats.py)."""
    import gc

    idx = RepeatIndex()
    for i in range(3):
        idx.add(f"vk:1:{i}", None, WATER, "novokuznetsk", T0 + timedelta(minutes=i))
    gc.collect()
    gc.collect()  # a tuple is untracked once its items are: the stems tuple first, then the entry
    assert idx._entries and not any(gc.is_tracked(entry) for entry in idx._entries.values())

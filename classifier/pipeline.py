"""The full suggestion for a post (R7.1, R12, R19, R22): one object the classifier stage calls per batch.

Topic probabilities are computed for the whole batch at once (the vectorisers are the
costly part); place, moderation, importance and repeats are per post. Repeats are
remembered per process, so a later post on the same issue is linked to the earlier one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from threadpoolctl import threadpool_limits

from classifier.embeddings import preload
from classifier.importance import ImportanceScorer
from classifier.location import LocationExtractor
from classifier.model_store import StoredModel, load
from classifier.moderation import Moderator
from classifier.normalize import normalize_text
from classifier.repeats import RepeatIndex
from classifier.topic import top_k
from router.router import Router
from schemas import Post, Suggestion, TopicCandidate


@dataclass
class Classifier:
    stored: StoredModel
    locations: LocationExtractor
    moderator: Moderator
    importance: ImportanceScorer
    repeats: RepeatIndex
    router: Router
    mass_cap: int | None = field(init=False)
    """Similar posts are counted up to where mass-ness saturates (R12): more changes no score."""

    def __post_init__(self) -> None:
        self.mass_cap = self.importance.mass_saturation()

    @classmethod
    def load(cls, region_dir: Path, model_dir: Path | None = None, repeat_window_days: int = 30) -> Classifier:
        """Also limits BLAS to one thread in this process: the agency blend's small dense product made
        OpenBLAS wake a thread per core that then spun, doubling the stage's CPU per post."""
        threadpool_limits(limits=1, user_api="blas")
        stored = load(model_dir)
        if stored.model.__dict__.get("blends"):  # models saved before the blend have none
            preload()
        return cls(stored, LocationExtractor.load(region_dir), Moderator.load(region_dir),
                   ImportanceScorer.load(region_dir), RepeatIndex(window_days=repeat_window_days),
                   Router.load(region_dir))

    @property
    def version(self) -> str:
        return self.stored.version

    def suggest(self, post: Post) -> Suggestion:
        return self.suggest_many([post])[0]

    def suggest_many(self, posts: Sequence[Post]) -> list[Suggestion]:
        if not posts:
            return []
        model = self.stored.model
        texts = [p.text for p in posts]
        normalized = [normalize_text(t) for t in texts]  # once: the model's view is its prefix
        probs = model.proba(texts, normalized)
        topics = top_k(model.heads["topic"], probs["topic"]) if "topic" in probs else [[] for _ in posts]
        agencies = top_k(model.heads["agency"], probs["agency"]) if "agency" in probs else [[] for _ in posts]
        return [self._one(post, normalized[i], topics[i], agencies[i]) for i, post in enumerate(posts)]

    def _one(self, post: Post, text: str, topics: list[tuple[str, float]],
             agencies: list[tuple[str, float]]) -> Suggestion:
        location = self.locations.extract(post.text, post.geo)
        municipality = location.municipality
        top_topic, top_conf = topics[0] if topics else (None, 0.0)
        repeats = self.repeats.find(text, municipality, post.created_at)
        cap = self.mass_cap
        similar = self.repeats.similar_count(text, post.created_at, cap=cap)
        importance = self.importance.score(post, text, top_topic, similar,
                                           similar_at_least=cap is not None and similar >= cap)
        routes = self.router.route(top_topic, municipality, agencies, top_conf)
        self.repeats.add(post.uid, None, text, municipality, post.created_at)
        return Suggestion(
            topics=[TopicCandidate(topic=t, group=self.router.catalog.group_of(t), confidence=round(c, 4))
                    for t, c in topics],
            location=location,
            importance=importance,
            moderation=self.moderator.check(post.text),
            repeats=[r for r in repeats if r.uid != post.uid],
            routes=routes,
            model_version=self.version,
        )

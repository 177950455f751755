-- Clock outcomes: one logical row per clock (case, agency, kind, clock_id).
-- Every clock event inserts a partial row; the SimpleAggregateFunction columns fold the
-- partial rows together. min/max ignore NULLs and are idempotent, so a redelivered event
-- changes nothing (no need for a separate dedupe step). Read it through clock_outcomes_v.
CREATE TABLE IF NOT EXISTS clock_outcomes (
    case_id UInt64,
    agency LowCardinality(String),
    kind LowCardinality(String),
    clock_id String,
    person SimpleAggregateFunction(max, Nullable(String)),
    clause SimpleAggregateFunction(max, Nullable(String)),
    importance SimpleAggregateFunction(max, Nullable(String)),
    started_at SimpleAggregateFunction(min, Nullable(DateTime64(3, 'UTC'))),
    due_at SimpleAggregateFunction(max, Nullable(DateTime64(3, 'UTC'))),
    stopped_at SimpleAggregateFunction(max, Nullable(DateTime64(3, 'UTC'))),
    working_minutes SimpleAggregateFunction(max, Nullable(Float64)),
    warned SimpleAggregateFunction(max, UInt8),
    breached SimpleAggregateFunction(max, UInt8),
    breached_at SimpleAggregateFunction(min, Nullable(DateTime64(3, 'UTC')))
) ENGINE = AggregatingMergeTree
ORDER BY (case_id, agency, kind, clock_id);

-- The merged view analysts query: on_time / breached / duration decided once, here.
CREATE VIEW IF NOT EXISTS clock_outcomes_v AS
SELECT
    case_id, agency, kind, clock_id, person, clause, importance, started_at, due_at, stopped_at,
    coalesce(wm, if(started_at IS NULL OR stopped_at IS NULL, NULL,
                    dateDiff('second', started_at, stopped_at) / 60.0)) AS duration_min,
    warned,
    toUInt8(br = 1 OR (stopped_at IS NOT NULL AND due_at IS NOT NULL AND stopped_at > due_at)) AS breached,
    toUInt8(stopped_at IS NOT NULL AND br = 0 AND (due_at IS NULL OR stopped_at <= due_at)) AS on_time,
    breached_at
FROM (
    SELECT case_id, agency, kind, clock_id,
           ifNull(max(o.person), '') AS person, ifNull(max(o.clause), '') AS clause,
           ifNull(max(o.importance), '') AS importance,
           min(o.started_at) AS started_at, max(o.due_at) AS due_at, max(o.stopped_at) AS stopped_at,
           max(o.working_minutes) AS wm, max(o.warned) AS warned, max(o.breached) AS br,
           min(o.breached_at) AS breached_at
    FROM clock_outcomes AS o
    GROUP BY case_id, agency, kind, clock_id
);

-- Suggestion vs curator decision, per case and field (topic, municipality, importance, agency).
-- The latest decision per (case, field) wins; a redelivered event replaces itself.
CREATE TABLE IF NOT EXISTS suggestion_decisions (
    case_id UInt64,
    field LowCardinality(String),
    post_uid String,
    suggested String,
    decided String,
    accepted UInt8,
    decided_by String,
    decided_at DateTime64(3, 'UTC'),
    event_id String
) ENGINE = ReplacingMergeTree(decided_at)
ORDER BY (case_id, field);

-- Daily aggregates. uniqExact states make them idempotent: a redelivered post or event
-- adds nothing (event ids are kept as 64-bit SipHash: collisions are negligible at our volumes).
-- Days are in the region's zone (Asia/Novokuznetsk).
CREATE TABLE IF NOT EXISTS posts_daily (
    day Date,
    network LowCardinality(String),
    topic LowCardinality(String),
    municipality LowCardinality(String),
    importance LowCardinality(String),
    posts AggregateFunction(uniqExact, String)
) ENGINE = AggregatingMergeTree
ORDER BY (day, network, topic, municipality, importance);

CREATE MATERIALIZED VIEW IF NOT EXISTS posts_daily_mv TO posts_daily AS
SELECT toDate(created_at, 'Asia/Novokuznetsk') AS day, network, topic, municipality, importance,
       uniqExactState(uid) AS posts
FROM posts
WHERE excluded = 0
GROUP BY day, network, topic, municipality, importance;

CREATE TABLE IF NOT EXISTS case_events_daily (
    day Date,
    type LowCardinality(String),
    agency LowCardinality(String),
    clock LowCardinality(String),
    to_state LowCardinality(String),
    is_repeat UInt8,
    events AggregateFunction(uniqExact, UInt64),
    cases AggregateFunction(uniqExact, UInt64)
) ENGINE = AggregatingMergeTree
ORDER BY (day, type, agency, clock, to_state, is_repeat);

CREATE MATERIALIZED VIEW IF NOT EXISTS case_events_daily_mv TO case_events_daily AS
SELECT toDate(at, 'Asia/Novokuznetsk') AS day, type, agency, clock, to_state,
       toUInt8(type = 'opened' AND JSONExtractString(data, 'repeat_of') != '') AS is_repeat,
       uniqExactState(sipHash64(event_id)) AS events, uniqExactState(case_id) AS cases
FROM case_events
GROUP BY day, type, agency, clock, to_state, is_repeat;

CREATE TABLE IF NOT EXISTS clock_outcomes_daily (
    day Date,
    agency LowCardinality(String),
    kind LowCardinality(String),
    started AggregateFunction(uniqExact, String),
    breached AggregateFunction(uniqExact, String)
) ENGINE = AggregatingMergeTree
ORDER BY (day, agency, kind);

CREATE MATERIALIZED VIEW IF NOT EXISTS clock_outcomes_daily_mv TO clock_outcomes_daily AS
SELECT toDate(ifNull(started_at, breached_at), 'Asia/Novokuznetsk') AS day, agency, kind,
       uniqExactStateIf(concat(toString(case_id), '/', clock_id), started_at IS NOT NULL) AS started,
       uniqExactStateIf(concat(toString(case_id), '/', clock_id), breached = 1) AS breached
FROM clock_outcomes
WHERE started_at IS NOT NULL OR breached_at IS NOT NULL
GROUP BY day, agency, kind;

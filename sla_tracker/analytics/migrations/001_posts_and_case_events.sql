-- Posts as classified, one row per (uid, version); the newest insert wins.
CREATE TABLE IF NOT EXISTS posts (
    uid String,
    version UInt32,
    network LowCardinality(String),
    created_at DateTime64(3, 'UTC'),
    collected_at DateTime64(3, 'UTC'),
    topic LowCardinality(String),
    topic_group LowCardinality(String),
    topic_confidence Float32,
    municipality LowCardinality(String),
    importance LowCardinality(String),
    excluded UInt8,
    model_version LowCardinality(String),
    inserted_at DateTime64(3, 'UTC') DEFAULT now64(3)
) ENGINE = ReplacingMergeTree(inserted_at)
ORDER BY (uid, version);

-- Every case event from the workflow outbox; event_id makes redelivery harmless.
CREATE TABLE IF NOT EXISTS case_events (
    event_id String,
    case_id UInt64,
    type LowCardinality(String),
    at DateTime64(3, 'UTC'),
    actor String,
    from_state LowCardinality(String),
    to_state LowCardinality(String),
    agency LowCardinality(String),
    clock LowCardinality(String),
    due_at Nullable(DateTime64(3, 'UTC')),
    data String,
    inserted_at DateTime64(3, 'UTC') DEFAULT now64(3)
) ENGINE = ReplacingMergeTree(inserted_at)
ORDER BY (case_id, event_id);

"""Working-time calendar, the regulation's clocks, breach watcher and ClickHouse analytics."""

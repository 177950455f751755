"""ClickHouse analytics: schema as numbered migrations, one client path for chDB and a server."""

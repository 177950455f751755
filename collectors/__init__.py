"""Collectors: one module per network, each turning that network's API into ``schemas.Post``.

Public API (the shell wires these to the bus):

- ``collectors.replay.ReplaySource(path, time_scale=0.0, limit=None).posts()`` — demo/load replay;
- ``collectors.config.build_sources(load_config(path), Credentials.load())`` — the region's sources;
- ``collectors.runner.Runner(sources, BusSink(bus), CollectorState(state_dir)).run(stop)`` —
  schedule, backoff, rate limits, crash-safe publishing (see ``collectors.state``);
- ``collectors.runner.collector_health(state_dir)`` — per-source health for ``otklik doctor``;
- ``collectors.metrics`` — Prometheus metrics ``otklik_collector_*``.
"""

"""Plumbing every textmill service shares: settings, JSON logs, the Kafka broker factory and
subscriptions, message decoding and publishing, Mongo and Redis clients, migrations,
health, heartbeats, stored-file blobs and the record feed.

Nothing here knows what a run is (that is `textmill_runs`, stored by `textmill_storage`);
services compose these pieces in their own `create_app()`.
"""

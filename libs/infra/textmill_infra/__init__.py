"""Shared runtime of every textmill service: settings, logs, Kafka, stores, health, heartbeats.

Nothing here knows a service's domain; services compose these pieces in their own
`create_app()`.
"""

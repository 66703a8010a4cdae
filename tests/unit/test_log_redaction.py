"""Secrets never reach the logs."""

import logging

import structlog

from textmill_infra.logs import configure_logging, get_logger, redact_secrets


def test_an_api_key_in_a_logged_query_string_is_redacted():
    # Given the request line a server logs for a websocket authenticated by query string
    line = '"WebSocket /api/v2/runs/r1/stream?api_key=tm_ab12_s3cr3t&from_seq=4" [accepted]'
    # When it passes the log processors
    logged = redact_secrets(None, "info", {"event": line})["event"]
    # Then the key is gone and the rest is kept
    assert "s3cr3t" not in logged
    assert logged.endswith('stream?api_key=[redacted]&from_seq=4" [accepted]')


def test_a_key_under_a_parameter_name_written_otherwise_is_redacted_by_its_shape():
    # Given request lines whose parameter names the same `api_key`, percent-encoded
    key = "tm_bee809f44d2a_Qm3v9xN0aS5p2LrT7yWcE1uZk4HgJ6dF8bVo-_iYq"
    lines = [
        f"GET /api/v2/runs/r1/stream?api%5Fkey={key}&from_seq=4",
        f"GET /api/v2/runs/r1/stream?%61pi_key={key}",
        f"GET /api/v2/runs/r1/stream?%61pi_key={key.replace('_', '%5F')}",
    ]
    for line in lines:
        # When it passes the log processors
        logged = redact_secrets(None, "info", {"event": line})["event"]
        # Then the key's secret is gone, and the path is kept
        assert "Qm3v9xN0aS5p2LrT7yWcE1uZk4HgJ6dF8bVo" not in logged, logged
        assert logged.startswith("GET /api/v2/runs/r1/stream?")


def test_a_key_in_any_field_of_a_record_is_redacted():
    key = "tm_bootstrap_nY1xm6FWe9e_79aquKLR6e20dN5aLzkRpPufWo3sTOI"
    record = redact_secrets(None, "info", {"event": "access", "path": f"/x?token={key}"})
    assert "79aquKLR6e20dN5aLzkRpPufWo3sTOI" not in record["path"]


def test_words_that_merely_start_like_a_key_are_kept():
    line = "html_tmp_files and tm_x stay as they are"
    assert redact_secrets(None, "info", {"event": line})["event"] == line


def test_a_key_percent_encoded_itself_is_redacted():
    # Given a request line whose parameter name and key are both percent-encoded
    secret = "Qm3v9xN0aS5p2LrT7yWcE1uZk4HgJ6dF8bVo"
    line = f"GET /api/v2/runs/r1/stream?%61pi_key=%74m_bee809f44d2a_{secret}&from_seq=4"
    # When it passes the log processors
    logged = redact_secrets(None, "info", {"event": line})["event"]
    # Then the secret is gone
    assert secret not in logged and "stream?" in logged


def test_a_key_in_a_nested_field_or_a_formatted_traceback_is_redacted():
    key = "tm_bootstrap_nY1xm6FWe9e_79aquKLR6e20dN5aLzkRpPufWo3sTOI"
    record = redact_secrets(
        None,
        "error",
        {
            "event": "failed",
            "request": {"query": {"api_key": key}, "path": ["runs", key]},
            "exception": f'Traceback (most recent call last):\n  ValueError: bad key "{key}"',
        },
    )
    assert "79aquKLR6e20dN5aLzkRpPufWo3sTOI" not in repr(record)


def test_a_key_with_an_encoded_character_inside_or_encoded_twice_is_redacted_whole():
    secret = "Qm3v9xN0aS5p2LrT7yW-cE1uZk4HgJ6dF8bVo"
    for line in (
        f"GET /s?api_key=tm_bee809f44d2a_{secret.replace('-', '%2D')}",
        f"GET /s?%2561pi_key=%2574m_bee809f44d2a_{secret}",
    ):
        logged = redact_secrets(None, "info", {"event": line})["event"]
        assert "Qm3v9xN0aS5p2LrT7yW" not in logged and "cE1uZk4HgJ6dF8bVo" not in logged, logged


def test_a_record_without_a_key_is_passed_on_as_it_is():
    record = {"event": "run completed", "run_id": "r1", "cells": 200_000, "path": "/a%20b"}
    assert redact_secrets(None, "info", record) is record


def test_a_key_in_a_logged_traceback_is_redacted_in_what_is_written(capsys):
    # Given the services' logging, and an error whose message holds a key
    key = "tm_bootstrap_nY1xm6FWe9e_79aquKLR6e20dN5aLzkRpPufWo3sTOI"
    root, handlers, level = logging.getLogger(), logging.getLogger().handlers[:], logging.root.level
    try:
        configure_logging("test", "i-1")
        try:
            raise ValueError(f"refused {key}")
        except ValueError:
            # When it is logged with its traceback
            get_logger("test").exception("request failed")
        written = capsys.readouterr().out
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
        structlog.reset_defaults()
    # Then the line written holds the traceback, but not the key
    assert "ValueError: refused tm_[redacted]" in written
    assert "79aquKLR6e20dN5aLzkRpPufWo3sTOI" not in written

"""Secrets never reach the logs."""

from textmill_infra.logs import redact_secrets


def test_an_api_key_in_a_logged_query_string_is_redacted():
    # Given the request line a server logs for a websocket authenticated by query string
    line = '"WebSocket /api/v2/runs/r1/stream?api_key=tm_ab12_s3cr3t&from_seq=4" [accepted]'
    # When it passes the log processors
    logged = redact_secrets(None, "info", {"event": line})["event"]
    # Then the key is gone and the rest is kept
    assert "s3cr3t" not in logged
    assert logged.endswith('stream?api_key=[redacted]&from_seq=4" [accepted]')

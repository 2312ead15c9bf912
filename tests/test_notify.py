"""Notifications for unattended runs, against a real SMTP server and a real web server on the
loopback address (fast lane: no pipeline run; the sensor path is in
tests/test_schedules_and_sensors.py)."""

from __future__ import annotations

import email
import json
import socketserver
import threading
from collections.abc import Iterator
from email import policy
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest

from pipelines.notify import notify_run, run_notification
from pipelines.run_report import summarise_run
from pipelines.settings import NotifySettings, Settings, SettingsError, load_settings
from tests.conftest import environment

RUN_ID = "0123456789abcdef-run"


class _SmtpHandler(socketserver.StreamRequestHandler):
    """Just enough SMTP (RFC 5321) to receive one message per connection."""

    def handle(self) -> None:
        self.wfile.write(b"220 loopback test server\r\n")
        envelope = {"to": []}
        while line := self.rfile.readline():
            command = line.decode().strip()
            verb = command.split(" ", 1)[0].upper()
            if verb in ("EHLO", "HELO"):
                self.wfile.write(b"250 loopback\r\n")
            elif verb == "MAIL":
                envelope["from"] = command
                self.wfile.write(b"250 OK\r\n")
            elif verb == "RCPT":
                envelope["to"].append(command)
                self.wfile.write(b"250 OK\r\n")
            elif verb == "DATA":
                self.wfile.write(b"354 go ahead\r\n")
                data = []
                while (row := self.rfile.readline()) not in (b".\r\n", b""):
                    data.append(row)
                self.server.messages.append((envelope, email.message_from_bytes(b"".join(data), policy=policy.default)))
                self.wfile.write(b"250 OK\r\n")
            elif verb == "QUIT":
                self.wfile.write(b"221 bye\r\n")
                return
            else:
                self.wfile.write(b"250 OK\r\n")


@pytest.fixture
def smtp_server() -> Iterator[socketserver.ThreadingTCPServer]:
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _SmtpHandler)
    server.messages = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def webhook_server() -> Iterator[HTTPServer]:
    received = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (the http.server name)
            received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    server.received = received
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def _settings(tmp_path: Path, notify: NotifySettings) -> Settings:
    return Settings(
        home_la="885",
        data_dir=tmp_path,
        benchmarks_dir=tmp_path / "b",
        sn_model="2025",
        small_count_threshold=5,
        pseudonymisation_key=None,
        notify=notify,
    )


def _failed_summary() -> dict:
    summary = summarise_run([], published=False)
    summary["failed_steps"] = [{"step": "sendkpi_dbt_models", "error": "Failure in test exactly_one_row_int_home_la_"}]
    return summary


def _published_with_a_failed_check() -> dict:
    summary = summarise_run([], published=True)
    summary["checks"]["failed_checks"] = [{"check": "ehc_requests_matches_schema", "asset": "raw/ehc_requests"}]
    return summary


def test_a_failed_run_is_emailed_with_its_outcome_and_report(tmp_path, smtp_server):
    port = smtp_server.server_address[1]
    notify = NotifySettings(smtp_host="127.0.0.1", smtp_port=port, email_to=("send.team@council.example",))
    report = tmp_path / "run_reports" / "20261203T020000Z_01234567.md"

    outcomes = notify_run(_settings(tmp_path, notify), _failed_summary(), RUN_ID, report)

    assert outcomes == [f"emailed send.team@council.example through 127.0.0.1:{port}"]
    [(envelope, message)] = smtp_server.messages
    assert [recipient.split(":", 1)[1] for recipient in envelope["to"]] == ["<send.team@council.example>"]
    assert message["Subject"] == "SEND KPI refresh failed (run 01234567, LA 885)"
    body = message.get_content()
    assert "Nothing was published: the last published marts are unchanged." in body
    assert "- step sendkpi_dbt_models failed (the error is in the run report)" in body and str(report) in body


def test_a_run_published_with_problems_goes_to_the_webhook(tmp_path, webhook_server):
    url = f"http://127.0.0.1:{webhook_server.server_address[1]}/hook"
    outcomes = notify_run(
        _settings(tmp_path, NotifySettings(webhook_url=url)),
        _published_with_a_failed_check(),
        RUN_ID,
        tmp_path / "r.md",
    )
    assert outcomes == ["webhook answered 204"]
    [payload] = webhook_server.received
    assert payload["status"] == "published with problems"
    assert "check ehc_requests_matches_schema on raw/ehc_requests failed" in payload["text"]


def test_a_clean_run_sends_nothing(tmp_path, smtp_server):
    notify = NotifySettings(smtp_host="127.0.0.1", smtp_port=smtp_server.server_address[1], email_to=("a@b.example",))
    assert run_notification(summarise_run([], published=True), RUN_ID, tmp_path / "r.md", "885") is None
    assert notify_run(_settings(tmp_path, notify), summarise_run([], published=True), RUN_ID, tmp_path / "r.md") == []
    assert smtp_server.messages == []


def test_an_unreachable_server_is_reported_not_raised(tmp_path):
    # Port 9 on the loopback address (discard): nothing listens, so the connection is refused.
    notify = NotifySettings(smtp_host="127.0.0.1", smtp_port=9, email_to=("a@b.example",), timeout_seconds=5)
    [outcome] = notify_run(_settings(tmp_path, notify), _failed_summary(), RUN_ID, tmp_path / "r.md")
    assert outcome.startswith("email through 127.0.0.1:9 failed:")


def test_notify_settings_from_the_file_and_the_environment(tmp_path):
    config = tmp_path / "sendkpi.toml"
    config.write_text(
        '[notify]\nsmtp_host = "mail.council.example"\nemail_to = ["send.team@council.example"]\n'
        'email_from = "sendkpi@council.example"\n',
        encoding="utf-8",
    )
    settings = load_settings(config).notify
    assert (settings.smtp_host, settings.smtp_port, settings.email_to, settings.email_from) == (
        "mail.council.example",
        25,
        ("send.team@council.example",),
        "sendkpi@council.example",
    )
    with environment(
        SENDKPI_NOTIFY_SMTP_PORT="2525",
        SENDKPI_NOTIFY_EMAIL_TO="a@council.example, b@council.example",
        SENDKPI_NOTIFY_WEBHOOK_URL="https://hooks.example/x",
    ):
        overridden = load_settings(config).notify
    assert overridden.smtp_port == 2525 and overridden.email_to == ("a@council.example", "b@council.example")
    assert overridden.webhook_url == "https://hooks.example/x"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[notify]\nemail_to = ["a@b.example"]\n', "smtp_host is not"),
        ('[notify]\nsmtp_host = "m"\nemail_to = ["not an address"]\n', "is not an email address"),
        ('[notify]\nsmtp_host = "m"\nemail_to = "a@b.example"\n', "must be a list"),
        ('[notify]\nwebhook_url = "hooks.example/x"\n', "http"),
    ],
)
def test_bad_notify_settings_are_refused(tmp_path, text, message):
    config = tmp_path / "sendkpi.toml"
    config.write_text(text, encoding="utf-8")
    with pytest.raises(SettingsError, match=message):
        load_settings(config)

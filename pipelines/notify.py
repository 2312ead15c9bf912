"""Telling people: a scheduled or sensor-started refresh that failed, or that published with
problems, is announced by email (an SMTP server in [notify]) and/or a webhook (a JSON POST,
as Teams, Slack and most chat tools accept), with the run report's outcome and its path.

A run that published cleanly sends nothing. Command-line runs print their outcome to the
person who started them and send nothing either. A notification that cannot be delivered
is logged by the sensor; it never changes the run's outcome or the published files.
"""

from __future__ import annotations

import json
import smtplib
import urllib.request
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path

from pipelines.run_report import outcome_problems
from pipelines.settings import NotifySettings, Settings


@dataclass(frozen=True)
class Notification:
    status: str  # "failed" (nothing published) or "published with problems"
    subject: str
    body: str


def run_notification(summary: dict, run_id: str, report: Path, authority: str) -> Notification | None:
    """What to tell people about a run (pure), or None when it published with no problem."""
    problems = outcome_problems(summary)
    if summary["published"] and not problems:
        return None
    status = "published with problems" if summary["published"] else "failed"
    headline = (
        "The marts were refreshed, but the run reported problems:"
        if summary["published"]
        else "Nothing was published: the last published marts are unchanged. Why:"
    )
    reasons = problems or ["the run did not reach the publish step"]
    body = "\n".join(
        [
            f"SEND KPI warehouse, authority {authority}: refresh run {run_id[:8]} {status}.",
            "",
            headline,
            *(f"- {reason.replace('`', '').replace('is below', 'is in the run report')}" for reason in reasons),
            "",
            f"Run report: {report}",
            f"Run: {run_id}",
        ]
    )
    return Notification(status, f"SEND KPI refresh {status} (run {run_id[:8]}, LA {authority})", body)


def send(notification: Notification, settings: NotifySettings) -> list[str]:
    """Deliver to every channel set; return one line per channel saying what happened."""
    outcomes = []
    if settings.sends_email:
        message = EmailMessage()
        message["Subject"] = notification.subject
        message["From"] = settings.email_from
        message["To"] = ", ".join(settings.email_to)
        message.set_content(notification.body)
        try:
            with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=settings.timeout_seconds) as smtp:
                smtp.send_message(message)
            outcomes.append(f"emailed {', '.join(settings.email_to)} through {settings.smtp_host}:{settings.smtp_port}")
        except (OSError, smtplib.SMTPException) as error:
            outcomes.append(f"email through {settings.smtp_host}:{settings.smtp_port} failed: {error}")
    if settings.webhook_url:
        payload = json.dumps(
            {
                "text": f"{notification.subject}\n\n{notification.body}",
                "subject": notification.subject,
                "status": notification.status,
            }
        ).encode("utf-8")
        request = urllib.request.Request(
            settings.webhook_url, data=payload, headers={"Content-Type": "application/json"}, method="POST"
        )
        try:
            with urllib.request.urlopen(request, timeout=settings.timeout_seconds) as response:
                outcomes.append(f"webhook answered {response.status}")
        except OSError as error:
            outcomes.append(f"webhook {settings.webhook_url} failed: {error}")
    return outcomes


def notify_run(settings: Settings, summary: dict, run_id: str, report: Path) -> list[str]:
    """Notify about this run when it needs it and a channel is set; what was done, one line each."""
    notification = run_notification(summary, run_id, report, settings.home_la)
    if notification is None:
        return []
    return send(notification, settings.notify)

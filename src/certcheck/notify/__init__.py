"""Reminders to a work group's robot (钉钉, 企业微信, 飞书).

What a command does to notify: build a ``document.Document`` (sections of ``Line``s, text from
files through ``md_text``), get the robots (``robots.parse_robot``, ``robots.with_secrets``),
and call ``run.send_document`` with, to send each entry once, a ``state.SentState``. The
command-line side (options, messages, exit code) is ``certcheck.cli.notify``.

Nothing is imported here, so that naming a robot does not load the HTTP client.
"""

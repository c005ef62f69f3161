"""``due --notify``: the due list sent to the group robots, each reminder once."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from certcheck.cli.notify import NotifyRequest, run_notify
from certcheck.due import DueList


def notify_due(request: NotifyRequest, result: DueList, *, path: Path, sheet: str | None,
               source: str) -> bool:
    """Send ``result`` as ``request`` asks; False when a robot was not reached (exit 4).
    ``source`` says where the dates come from (``due``'s own words for it)."""
    from certcheck.notify.due_message import due_document

    if not request:
        return True
    document = due_document(result, enterprise=enterprise_of(path, sheet, result.as_of),
                            source=source)
    return run_notify(request, document, as_of=result.as_of)


def enterprise_of(path: Path, sheet: str | None, as_of: date) -> str | None:
    """The enterprise a register names, or a roster's title gives; None when neither does.
    The file was read once already, so it is known to be one or the other."""
    from certcheck.pipeline import enterprise_from_title
    from certcheck.register.errors import RegisterFormatError
    from certcheck.register.reader import read_register
    from certcheck.roster import RosterError, read_roster

    try:
        return read_register(path).info.enterprise
    except RegisterFormatError:
        pass
    try:
        return enterprise_from_title(read_roster(path, sheet, today=as_of).title)
    except RosterError:
        return None

"""The one error a table file that cannot be used raises."""

from __future__ import annotations


class UnusableFile(Exception):
    """The file cannot be used (missing, not a spreadsheet, unsafe, unreadable).

    The message is one line for the user, saying what is wrong and what to do.
    """

"""What reading a register back raises; apart from the reader so that the CLI can name these
errors without loading it."""

from __future__ import annotations


class RegisterFormatError(Exception):
    """The file is not a certcheck register, or not one this version can read.

    The message is one line for the user, naming the file and what to do.
    """


class NotARegister(RegisterFormatError):
    """The file is readable but no certcheck register at all (a roster, say), as opposed to a
    register that is damaged or edited, which must never be taken for something else."""

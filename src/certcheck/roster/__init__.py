"""Reading worker rosters: sniff and guard the file, find the header, normalise the values."""

from certcheck.roster.model import Roster, RosterError
from certcheck.roster.reader import read_first_sheet, read_roster

__all__ = ["Roster", "RosterError", "read_first_sheet", "read_roster"]

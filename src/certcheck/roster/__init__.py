"""Reading worker rosters: find the header, map the columns, normalise the values into workers.

Opening the file safely is ``certcheck.tablefile``'s job; this package holds roster meaning only.
"""

from certcheck.roster.model import Roster, RosterError
from certcheck.roster.reader import read_roster

__all__ = ["Roster", "RosterError", "read_roster"]

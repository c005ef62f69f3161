"""File safety for every table a user hands over: rosters, registry files, registers read
back and the district's lists.

``sniff`` tells what the bytes are, ``guards`` refuses bombs and absurd extents before any
parser runs, ``isolated`` parses the risky formats in a limited child process, ``grid`` and
``textgrid`` turn any of them into plain cell grids, and ``opening`` puts that order in one
place. Nothing here knows what a roster is.
"""

"""Reading .xls, .xlsb and .ods in a child process with a memory and time limit.

Their cell positions live in binary records (BIFF, BIFF12) or in run-length attributes (ODS
``number-columns-repeated``) that cannot be bounded cheaply before reading, and calamine aborts
the process, rather than raising, when a crafted file makes it allocate too much. A child that
dies takes only itself down; the parent turns that into a clear UnusableFile. These formats are
rare and small in practice, so the ~0.1 s start-up of the child does not matter; .xlsx, the
common case, is guarded and read in-process (``guards.check_zip``).
"""

from __future__ import annotations

import pickle
import subprocess
import sys
from pathlib import Path

from certcheck.tablefile import child_marks
from certcheck.tablefile.child_marks import Found, TooManyMarks
from certcheck.tablefile.errors import UnusableFile
from certcheck.tablefile.grid import (
    Book,
    Grid,
    Merge,
    Row,
    SheetInfo,
    SheetUnreadable,
    marks_problem,
    to_marks,
    unreadable,
)
from certcheck.tablefile.guards import password_protected, unsafe

# Address space for the child: calamine's grid for a legitimate roster is tens of MB (the
# guards bound it at MAX_CELLS before the child starts), and the interpreter, calamine and the
# pickled answer fit well within this. An attack must end within 1.5 GiB in all, and the parent
# holds the file (up to 256 MiB) and its own interpreter meanwhile, so the child gets 1 GiB.
CHILD_MEMORY = 1024 * 1024 * 1024
# CPU seconds and wall seconds; a roster reads in well under a second.
CHILD_CPU_SECONDS = 60
CHILD_TIMEOUT = 90

# The child imports nothing of certcheck but child_marks (standard library and defusedxml only,
# loaded by its file path) so that it starts fast and cannot be confused by the parent's state;
# it answers with one pickle of plain values on stdout.
_CHILD = r"""
import pickle, sys
from python_calamine import CalamineWorkbook, PasswordError
path = sys.argv[1]
out = sys.stdout.buffer
try:
    wb = CalamineWorkbook.from_path(path)
    meta = wb.sheets_metadata
except PasswordError:
    pickle.dump(("password", None), out); sys.exit(0)
except Exception as exc:
    pickle.dump(("error", (str(exc) or type(exc).__name__).splitlines()[0][:200]), out)
    sys.exit(0)
# Error values and formulas without a result, which calamine gives as empty cells, and for ODS
# the merged ranges, which calamine does not give: read from the file by child_marks, loaded by
# its path (sys.argv[2]) so that the child imports nothing else of certcheck.
import importlib.util
spec = importlib.util.spec_from_file_location("certcheck_child_marks", sys.argv[2])
marks_module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(marks_module)
ods_merges, marks, marks_problem = {}, {}, None
try:
    lower = path.lower()
    if lower.endswith(".ods"):
        for table, (table_merges, table_marks) in marks_module.ods_tables(path).items():
            ods_merges[table], marks[table] = table_merges, table_marks
    elif lower.endswith(".xlsb"):
        marks = marks_module.xlsb_marks(path)
    else:
        marks = marks_module.xls_marks(path)
except MemoryError:
    pickle.dump(("memory", None), out); sys.exit(0)
except marks_module.TooManyMarks:
    marks_problem = "too many"
except Exception as exc:
    marks_problem = (str(exc) or type(exc).__name__).splitlines()[0][:120]
sheets = []
for m in meta:
    if "worksheet" not in str(m.typ).lower():
        continue
    visible = str(m.visible).rsplit(".", 1)[-1].lower() == "visible"
    try:
        sheet = wb.get_sheet_by_name(m.name)
        rows = sheet.to_python()
        start = sheet.start or (0, 0)
        merges = list(sheet.merged_cell_ranges or []) or ods_merges.get(m.name, [])
        found = marks.get(m.name)
        problem = marks_problem or (None if found is not None else "sheet not found")
        sheets.append((m.name, visible, (rows, start, merges, found or {}, problem), None))
    except PasswordError:
        pickle.dump(("password", None), out); sys.exit(0)
    except MemoryError:
        pickle.dump(("memory", None), out); sys.exit(0)
    except Exception as exc:
        sheets.append((m.name, visible, None, (str(exc) or type(exc).__name__)[:200]))
pickle.dump(("ok", sheets), out, protocol=pickle.HIGHEST_PROTOCOL)
"""


def _limit_child() -> None:  # pragma: no cover - runs in the child
    import resource

    # Never above a limit the parent already runs under: raising it is refused, which would
    # fail every read of these formats.
    memory = _lower(resource.getrlimit(resource.RLIMIT_AS)[1], CHILD_MEMORY)
    seconds = _lower(resource.getrlimit(resource.RLIMIT_CPU)[1], CHILD_CPU_SECONDS)
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    resource.setrlimit(resource.RLIMIT_CPU, (seconds, seconds))


def _lower(hard: int, wanted: int) -> int:
    import resource

    return wanted if hard == resource.RLIM_INFINITY else min(hard, wanted)


def isolated_book(path: Path, *, opened: Path | None = None) -> Book:
    """All worksheets of ``path``, read by a child process.

    ``opened`` is the name the child opens when it differs from the user's file (see
    ``grid.private_copy``); messages always name ``path``.
    """
    command = [sys.executable, "-c", _CHILD, str(opened or path), child_marks.__file__]
    try:
        done = subprocess.run(
            command,
            capture_output=True,
            timeout=CHILD_TIMEOUT,
            preexec_fn=_limit_child if sys.platform != "win32" else None,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise unsafe(path, "读取超时") from exc
    if done.returncode != 0:
        raise unsafe(path, "读取时耗尽内存或崩溃")
    try:
        # Unpickling is safe here: the bytes come from the fixed child code above, which only
        # ever pickles plain values (str, numbers, dates) that calamine produced.
        status, payload = pickle.loads(done.stdout)
    except Exception as exc:
        raise unsafe(path, "读取时输出异常") from exc
    if status == "password":
        raise password_protected(path)
    if status == "memory":
        raise unsafe(path, "读取时耗尽内存")
    if status != "ok":
        raise unreadable(path, UnusableFile(str(payload)))
    return _book(payload)


#: rows, start, merges, marks, and why the marks could not be read (None when they were).
_Loaded = tuple[list[Row], tuple[int, int], list[Merge], Found, str | None]


def _book(payload: list[tuple[str, bool, _Loaded | None, str | None]]) -> Book:
    infos: list[SheetInfo] = []
    grids: dict[str, Grid | str] = {}
    for name, visible, data, error in payload:
        infos.append(SheetInfo(name, visible))
        if data is None:
            grids[name] = error or "sheet not loaded"
            continue
        rows, start, merges, found, problem = data
        if problem is not None:
            # A sheet whose error values cannot be seen could pass a #N/A off as a blank.
            cause = TooManyMarks() if problem == "too many" else Exception(problem)
            grids[name] = marks_problem(cause)
            continue
        grids[name] = Grid(name, rows, start[0], start[1], merges=merges, marks=to_marks(found))

    def load(name: str) -> Grid:
        grid = grids.get(name)
        if not isinstance(grid, Grid):
            raise SheetUnreadable(grid or "sheet not loaded")
        return grid

    return Book(infos, load)

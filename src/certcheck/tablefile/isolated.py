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

from certcheck.tablefile.errors import UnusableFile
from certcheck.tablefile.grid import Book, Grid, Merge, Row, SheetInfo, SheetUnreadable, unreadable
from certcheck.tablefile.guards import password_protected, unsafe

# Address space for the child: calamine's grid for a legitimate roster is tens of MB; a few GiB
# of headroom covers the interpreter and large but honest files while stopping runaway ones.
CHILD_MEMORY = 3 * 1024 * 1024 * 1024
# CPU seconds and wall seconds; a roster reads in well under a second.
CHILD_CPU_SECONDS = 60
CHILD_TIMEOUT = 90

# The child imports nothing of certcheck so that it starts fast and cannot be confused by the
# parent's state; it answers with one pickle of plain values on stdout.
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
ods_merges = {}
if path.lower().endswith(".ods"):
    # calamine gives no merged ranges for ODS: read table:number-rows/columns-spanned here.
    try:
        import zipfile
        from defusedxml.ElementTree import iterparse
        NS_T = "{urn:oasis:names:tc:opendocument:xmlns:table:1.0}"
        def count(elem, name):
            try:
                return max(1, min(int(elem.get(NS_T + name) or 1), 1 << 20))
            except ValueError:
                return 1
        with zipfile.ZipFile(path) as archive, archive.open("content.xml") as stream:
            depth, name, row, col, found = 0, None, 0, 0, []
            for event, elem in iterparse(stream, events=("start", "end")):
                tag = elem.tag
                if tag == NS_T + "table":
                    if event == "start":
                        depth += 1
                        if depth == 1:
                            name, row, col, found = elem.get(NS_T + "name"), 0, 0, []
                    else:
                        if depth == 1 and name is not None:
                            ods_merges[name] = found
                        depth -= 1
                        elem.clear()
                elif depth != 1:
                    continue
                elif tag == NS_T + "table-row":
                    if event == "start":
                        col = 0
                    else:
                        row += count(elem, "number-rows-repeated")
                        elem.clear()
                elif event == "start" and tag in (NS_T + "table-cell", NS_T + "covered-table-cell"):
                    rows_spanned = count(elem, "number-rows-spanned")
                    cols_spanned = count(elem, "number-columns-spanned")
                    if (rows_spanned > 1 or cols_spanned > 1) and len(found) < 100000:
                        found.append(((row, col), (row + rows_spanned - 1, col + cols_spanned - 1)))
                    col += count(elem, "number-columns-repeated")
    except Exception:
        ods_merges = {}
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
        sheets.append((m.name, visible, (rows, start, merges), None))
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

    resource.setrlimit(resource.RLIMIT_AS, (CHILD_MEMORY, CHILD_MEMORY))
    resource.setrlimit(resource.RLIMIT_CPU, (CHILD_CPU_SECONDS, CHILD_CPU_SECONDS))


def isolated_book(path: Path, *, opened: Path | None = None) -> Book:
    """All worksheets of ``path``, read by a child process.

    ``opened`` is the name the child opens when it differs from the user's file (see
    ``grid.named_for_calamine``); messages always name ``path``.
    """
    command = [sys.executable, "-c", _CHILD, str(opened or path)]
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


_Loaded = tuple[list[Row], tuple[int, int], list[Merge]]


def _book(payload: list[tuple[str, bool, _Loaded | None, str | None]]) -> Book:
    infos: list[SheetInfo] = []
    grids: dict[str, Grid | str] = {}
    for name, visible, data, error in payload:
        infos.append(SheetInfo(name, visible))
        if data is None:
            grids[name] = error or "sheet not loaded"
            continue
        rows, start, merges = data
        grids[name] = Grid(name, rows, start[0], start[1], merges=merges)

    def load(name: str) -> Grid:
        grid = grids.get(name)
        if not isinstance(grid, Grid):
            raise SheetUnreadable(grid or "sheet not loaded")
        return grid

    return Book(infos, load)

"""``replay:DIR``: answer from the responses ``mem`` recorded in DIR (``MemOptions.record_dir``).

A recorded query answer is interpreted again through the current ``mem_mapping``, so a corrected
mapping can be tried on real answers without asking the national lookup again: an answer the old
table could not read becomes the records the corrected one reads. An answer that is still not
understood stays the failure it was when recorded, except that it is never marked worth
retrying: a recording does not change.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from certcheck import jsontext
from certcheck.models import Failed, FailureKind, Outcome, Query
from certcheck.sources.interface import (
    NATIONAL_PUBLICATION_DELAY,
    ImmediateSource,
    SourceError,
    SourceOptions,
)
from certcheck.sources.mem import (
    RECORD_FORMAT,
    Exchange,
    WrongCaptcha,
    interpret_query,
    recording_path,
    with_names,
)
from certcheck.sources.mem_body import MAX_BODY
from certcheck.tablefile.errors import UnusableFile
from certcheck.tablefile.guards import read_regular

#: The largest recording read back. One holds a lookup's exchanges, each body at most
#: ``mem_body.MAX_BODY`` and the captcha images left out: real ones are a few KB, and a few
#: tries under a few spellings of a name stay far below this.
MAX_RECORDING = 8 * MAX_BODY


class ReplaySource(ImmediateSource):
    name = "replay"
    description = "文件夹中录下的国家查询平台答复：replay:文件夹（answers recorded with --record）"
    publication_delay = NATIONAL_PUBLICATION_DELAY

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    @classmethod
    def from_spec(cls, arg: str | None, options: SourceOptions) -> ReplaySource:
        if not arg:
            raise SourceError("replay 数据源需要一个文件夹：--source replay:文件夹"
                              "（the replay source needs a directory）")
        directory = Path(arg)
        if not directory.is_dir():
            raise SourceError(f"找不到 replay 文件夹 {directory}（replay directory not found）")
        return cls(directory)

    @property
    def cache_identity(self) -> str:
        return f"replay:{self.directory.resolve()}"

    @property
    def input_folders(self) -> tuple[Path, ...]:
        # Every recording in it is an input: an output written there could replace one.
        return (self.directory,)

    def lookup_now(self, query: Query) -> Outcome:
        path = recording_path(self.directory, query)
        try:
            # Guarded as every input is: no link, no pipe or device, no file of any size.
            document = jsontext.loads(read_regular(path, MAX_RECORDING).decode("utf-8"))
        except FileNotFoundError:
            return Failed(FailureKind.LOOKUP_FAILED,
                          "没有此人的录音（nothing recorded for this person）")
        except UnusableFile as exc:
            return Failed(FailureKind.LOOKUP_FAILED, f"录音文件不可用（unusable recording）：{exc}")
        except RecursionError:
            return Failed(FailureKind.LOOKUP_FAILED,
                          f"录音文件 {path.name} 无法读取：嵌套层次太深（unreadable recording）")
        except (OSError, ValueError) as exc:
            return Failed(FailureKind.LOOKUP_FAILED,
                          f"录音文件 {path.name} 无法读取（unreadable recording）：{exc}")
        try:
            return _replayed(document, query)
        except (KeyError, TypeError, ValueError) as exc:
            return Failed(
                FailureKind.LOOKUP_FAILED,
                f"录音文件 {path.name} 格式不对（malformed recording）：{type(exc).__name__}"
            )


def _replayed(document: Any, query: Query) -> Outcome:
    if document.get("format") != RECORD_FORMAT:
        raise ValueError("unknown format")
    exchanges = [
        Exchange(
            step=str(e["step"]),
            status=int(e["status"]),
            body=str(e["body"]),
            retry_after=e.get("retry_after"),
            name=str(e["asked_name"]) if e.get("asked_name") is not None else None,
            location=str(e["location"]) if e.get("location") is not None else None,
        )
        for e in document["exchanges"]
    ]
    stored = document["outcome"]
    audit = document.get("audit") or {}
    asked = [str(n) for n in audit.get("names_asked") or [query.name]]
    if exchanges and exchanges[-1].step == "query":
        last = exchanges[-1]
        result = interpret_query(last, Query(query.id_number, last.name or query.name))
        if not isinstance(result, WrongCaptcha | Failed):
            return with_names(result, asked)
        if isinstance(result, Failed) and stored["kind"] != "failed":
            # Understood when recorded, not by the current table: the table is at fault.
            return replace(result, transient=False)
    if stored["kind"] != "failed":
        raise ValueError("a success without its query answer")
    return Failed(
        FailureKind(stored["reason"]),
        str(stored["detail"]),
        raw=exchanges[-1].body if exchanges else None,
    )

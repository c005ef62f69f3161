"""``certcheck verify``: check every worker of a roster."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import click

from certcheck.cache import AnswerCache, cache_dir
from certcheck.check import EngineSettings
from certcheck.cli.app import (
    INTERRUPTED_KEPT,
    INTERRUPTED_NO_CACHE,
    MAX_DAYS,
    FiniteFloatRange,
    UserError,
    _guarded,
    cli,
    parse_as_of,
    same_file,
    unreachable_message,
)
from certcheck.cli.exit_codes import ExitCode, exit_code_of
from certcheck.cli.report import show_register, show_roster
from certcheck.cli.screen import console as make_console
from certcheck.cli.screen import plain
from certcheck.models import DEFAULT_WARN_DAYS
from certcheck.register.model import Kind
from certcheck.sources.interface import LookupSource, SourceUnreachable
from certcheck.tablefile.guards import resolved

if TYPE_CHECKING:
    from rich.console import Console

    from certcheck.cli.progress import RichProgress
    from certcheck.register.formats import OutputFormat


def _outputs(roster: Path, outputs: tuple[str, ...]) -> list[str]:
    chosen = list(outputs) or [str(roster.with_name(roster.stem + ".register.xlsx"))]
    for out in chosen:
        if out == "-":
            continue
        if same_file(Path(out), roster):
            raise UserError(
                f"-o {out} 就是花名册本身；certcheck 从不覆盖花名册，请换一个文件名"
                "（the roster itself）",
                ExitCode.USAGE,
            )
        # Checked before any lookup, so that no answer is waited for only to be thrown away.
        folder = resolved(Path(out)).parent
        if not folder.is_dir():
            raise UserError(f"-o {out}：文件夹 {folder} 不存在（no such folder）",
                            ExitCode.USAGE)
        if Path(out).is_dir():
            raise UserError(f"-o {out} 是文件夹，请给出文件名（a folder）", ExitCode.USAGE)
        if not os.access(folder, os.W_OK):
            raise UserError(f"无法写入 {out}：文件夹 {folder} 是只读的或没有写入权限；"
                            "请换一个文件夹（-o）", ExitCode.BAD_INPUT)
    return chosen


def _refuse_outputs_in(source: LookupSource, targets: list[str], record_dir: Path | None) -> None:
    """No output (-o, --record) may go into a folder the source reads (replay's recordings):
    it would replace the inputs of this very run. Checked before anything is read or written."""
    for folder in source.input_folders:
        inside = resolved(folder)
        named = [(f"-o {out}", Path(out)) for out in targets if out != "-"]
        if record_dir is not None:
            named.append((f"--record {record_dir}", record_dir))
        for option, path in named:
            where = resolved(path)
            if where == inside or inside in where.parents:
                raise UserError(
                    f"{option} 位于数据源读取的文件夹 {folder} 中；certcheck 从不覆盖输入文件，"
                    "请换一个位置（inside a folder the source reads）", ExitCode.BAD_INPUT,
                )


@dataclass(frozen=True, slots=True)
class VerifyArgs:
    """The options of one ``verify`` call, as click parsed them."""

    roster: Path
    source_spec: str
    as_of: date
    outputs: tuple[str, ...]
    sheet: str | None
    enterprise: str | None
    kind: Kind
    sample_size: int | None
    seed: int | None
    concurrency: int
    rate: float | None
    mask_ids: bool
    show_id: bool
    no_progress: bool
    warn_days: int
    mem_url: str
    captcha: str | None
    timeout: float
    record_dir: Path | None
    cache_dir: Path | None
    no_cache: bool
    max_age: float
    refresh: bool


@cli.command()
# Not dir_okay=False: a folder, like any other unusable roster, is exit 4 with the reader's
# message, not a usage error.
@click.argument("roster", type=click.Path(path_type=Path))
@click.option("--source", "source_spec", default="mem", show_default=True,
              help="mem (national lookup), registry:PATH, replay:DIR, or a plugin name.")
@click.option("--as-of", help="Date the check is made for, YYYY-MM-DD (default: today).")
@click.option("-o", "--output", "outputs", multiple=True,
              help="Output file (.xlsx, .csv, .json; '-' = JSON to stdout). Repeatable.")
@click.option("--sheet",
              help="Read only this sheet (default: every visible sheet that holds a roster).")
@click.option("--enterprise",
              help="单位名称: the enterprise checked (default: from the title row).")
@click.option("--kind", type=click.Choice([k.value for k in Kind]), default=Kind.SELF_CHECK.value,
              show_default=True, help="self-check (企业自查) or inspection (执法检查).")
@click.option("--sample", "sample_size", type=click.IntRange(min=1),
              help="Check a random sample of N workers (spot check).")
@click.option("--seed", type=int, help="Seed for --sample, so the sample can be reproduced.")
@click.option("--concurrency", type=click.IntRange(1, 64), default=4, show_default=True,
              help="Lookups in flight at most.")
@click.option("--rate", type=FiniteFloatRange(min=0, min_open=True, max=10_000),
              help="Requests per second at most, in any 1-second window; for mem each captcha "
                   "and each query counts (default: 1 for mem, unlimited for registry).")
@click.option("--mask-ids", is_flag=True, help="Write ID numbers masked in every output.")
@click.option("--show-id", is_flag=True,
              help="With -o - at a terminal, print ID numbers in full (default: masked there; "
                   "a pipe or a file gets them in full).")
@click.option("--no-progress", is_flag=True, help="No progress bar.")
@click.option("--warn-days", type=click.IntRange(0, MAX_DAYS), default=DEFAULT_WARN_DAYS,
              show_default=True,
              help="Warn due_soon when review or expiry is this close.")
@click.option("--mem-url", default="https://cx.mem.gov.cn", show_default=True,
              help="Base URL of the national lookup.")
@click.option("--captcha", help="prompt (default at a terminal; '?' at the prompt opens the "
                                "image viewer), viewer (prompt + every image in the desktop's "
                                "viewer), command:PROGRAM, or a plugin.")
@click.option("--timeout", type=FiniteFloatRange(min=0, min_open=True, max=3600), default=20,
              show_default=True, help="Seconds one request to the national lookup may take, to "
                                      "the last byte of its answer.")
@click.option("--record", "record_dir", type=click.Path(path_type=Path, file_okay=False),
              help="Keep the raw responses of the national lookup in DIR (audit; replay:DIR).")
@click.option("--cache-dir", type=click.Path(path_type=Path, file_okay=False),
              envvar="CERTCHECK_CACHE_DIR", show_envvar=True,
              help="Folder to keep answers in between runs, in a private certcheck folder "
                   "made inside it; the folder itself is left as it is (default: the user "
                   "cache directory).")
@click.option("--no-cache", is_flag=True, help="Neither read nor write the answer cache.")
@click.option("--max-age", type=FiniteFloatRange(0, MAX_DAYS), default=7, show_default=True,
              help="Days a cached answer stays good.")
@click.option("--refresh", is_flag=True, help="Ask the source again and overwrite cached answers.")
def verify(**options: object) -> None:
    """Check every worker of ROSTER and write the register (核验花名册并生成登记表)."""
    options["as_of"] = parse_as_of(options["as_of"])  # type: ignore[arg-type]
    options["kind"] = Kind(str(options["kind"]))
    args = VerifyArgs(**options)  # type: ignore[arg-type]
    with _guarded(INTERRUPTED_NO_CACHE if args.no_cache else INTERRUPTED_KEPT):
        code = _verify(args)
    sys.exit(code)


def _open_cache(args: VerifyArgs, source: LookupSource) -> AnswerCache | None:
    if args.no_cache or not source.cacheable:
        return None
    return AnswerCache(
        cache_dir(args.cache_dir),
        max_age=timedelta(days=args.max_age),
        refresh=args.refresh,
    )


def _say_cache_problems(errors: Console, cache: AnswerCache) -> None:
    """What of the cache was not used, so that a rerun asking people again is explained."""
    where = plain(cache.path)
    if cache.foreign_version is not None:
        errors.print(f"缓存 {where} 由另一版本的 certcheck 写入（格式 {cache.foreign_version}），"
                     "本次既未读取也未写入；请换一个 --cache-dir"
                     "（a cache of another certcheck version）", highlight=False, markup=False)
    if cache.ignored:
        errors.print(f"缓存 {where} 中有 {cache.ignored} 条记录与 certcheck 写入的不符，"
                     "未采用，已重新查询（cache entries not as written were asked again）",
                     highlight=False, markup=False)


def _verify(args: VerifyArgs) -> int:
    from certcheck.cli.progress import RichProgress
    from certcheck.cli.source_options import open_chosen_source
    from certcheck.register.formats import OutputFormat

    targets = _outputs(args.roster, args.outputs)
    formats = {out: OutputFormat.from_path(out) for out in targets}
    to_stdout = "-" in targets
    console = make_console(stderr=to_stdout)
    errors = make_console(stderr=True)

    # Made now, drawn once lookups start: the captcha prompt is handed it, to step aside for.
    bar = RichProgress(errors, enabled=not args.no_progress)
    # The source first: a typo in --source fails at once, not after a large roster is read.
    source = open_chosen_source(
        args.source_spec, mem_url=args.mem_url, captcha=args.captcha, timeout=args.timeout,
        record_dir=args.record_dir, terminal=bar,
    )
    for out in targets:
        for used in source.input_files:
            if out != "-" and same_file(Path(out), used):
                raise UserError(
                    f"-o {out} 是数据源读取的文件（{used}）；certcheck 从不覆盖输入文件，"
                    "请换一个文件名（an input of the source）", ExitCode.USAGE,
                )
    _refuse_outputs_in(source, targets, args.record_dir)
    # Before the roster is read: a cache that cannot be used (a link, a full disk) is said at
    # once, not after a large roster was read for nothing.
    cache = _open_cache(args, source)
    try:
        return _verify_with(args, source, cache, formats, console, errors, bar)
    finally:
        if cache is not None:
            cache.close()


def _unreachable(exc: SourceUnreachable, cache: AnswerCache | None, targets: list[str]) -> str:
    """Why no register was written: the source could not be reached, at the start or midway;
    what became of the answers received; and that an earlier register is as it was."""
    kept = [out for out in targets if out != "-" and Path(out).exists()]
    register = "未写登记表" + (f"，原有登记表未改动：{'、'.join(kept)}" if kept else "")
    n = exc.answered
    if not n:
        return unreachable_message(exc, f"未核验任何人员，{register}")
    if cache is None:
        return unreachable_message(
            exc, f"查询中途失去连接；使用了 --no-cache，已收到的 {n} 人的查询结果没有保存；"
                 f"{register}", "网络恢复后再次运行将从头查询")
    got = (f"查询中途失去连接；已收到的 {n} 人的查询结果保存在缓存中" if exc.midway
           # Every answer came from the cache, and nobody else could be asked.
           else f"缓存中已有 {n} 人的查询结果，其余人员未能查询")
    return unreachable_message(exc, f"{got}；{register}",
                               "网络恢复后再次运行同一命令即从中断处继续")


def _verify_with(args: VerifyArgs, source: LookupSource, cache: AnswerCache | None,
                 formats: dict[str, OutputFormat], console: Console, errors: Console,
                 bar: RichProgress) -> int:
    from certcheck.pipeline import RunSettings, run_verify
    from certcheck.register.formats import write_all
    from certcheck.roster import read_roster

    to_stdout = "-" in formats
    roster = read_roster(args.roster, args.sheet, today=args.as_of)
    show_roster(console, roster)
    if not roster.workers:
        raise UserError(
            f"{args.roster.name}：表头下没有人员行，没有可核验的人员（no worker rows）"
        )
    settings = RunSettings(
        as_of=args.as_of, kind=args.kind, enterprise=args.enterprise, warn_days=args.warn_days,
        sample_size=args.sample_size, seed=args.seed, mask_ids=args.mask_ids,
    )
    engine = EngineSettings.for_source(source, concurrency=args.concurrency, rate=args.rate)
    # A listener that draws nothing would still have every answer decided twice for its counts.
    progress = bar if bar.enabled else None
    try:
        register = run_verify(roster, source, settings, engine, progress=progress, store=cache)
    except SourceUnreachable as exc:
        raise UserError(_unreachable(exc, cache, list(formats)), ExitCode.INCOMPLETE) from None
    if cache is not None and cache.hits:
        errors.print(f"{cache.hits} 个查询结果来自缓存（{plain(cache.path.parent)}）；"
                     "--refresh 重新查询，--no-cache 不用缓存", highlight=False, markup=False)
    if cache is not None:
        _say_cache_problems(errors, cache)
    if register.meta.enterprise is None:
        errors.print("[yellow]提示：[/]未给出单位名称（--enterprise），花名册标题中也没有找到；"
                     "登记表的单位名称留空", highlight=False)
    # The README's promise: never a full ID on a terminal. A pipe or a redirect gets the JSON
    # as it is; only a person reading the screen sees it masked, unless they ask.
    masked_here = to_stdout and not args.show_id and sys.stdout.isatty()
    write_all(register, list(formats.items()), stdout_masked=masked_here)
    show_register(console, register, [Path(out) for out in formats if out != "-"])
    return exit_code_of(register.verdict)

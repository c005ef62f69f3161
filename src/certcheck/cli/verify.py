"""``certcheck verify``: check every worker of a roster."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import click

from certcheck.cache import AnswerCache, cache_dir
from certcheck.check import EngineSettings
from certcheck.cli import option_help
from certcheck.cli.app import (
    INTERRUPTED,
    INTERRUPTED_KEPT,
    INTERRUPTED_NO_CACHE,
    INTERRUPTED_NOT_CACHED,
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
from certcheck.cli.match_key_option import match_key, match_key_option
from certcheck.cli.outputs import check_folder_to_make, check_output
from certcheck.cli.report import show_register, show_roster
from certcheck.cli.screen import console as make_console
from certcheck.cli.screen import plain
from certcheck.matchkey import MatchKey
from certcheck.models import DEFAULT_WARN_DAYS, SCOPE_ALL, Scope
from certcheck.register.model import Kind
from certcheck.sources.interface import LookupSource, SourceUnreachable
from certcheck.sources.several import SourceSet
from certcheck.tablefile.guards import resolved

if TYPE_CHECKING:
    from rich.console import Console

    from certcheck.cli.progress import RichProgress
    from certcheck.register.formats import OutputFormat
    from certcheck.roster import Roster


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
        check_output(Path(out))
    return chosen


def _refuse_outputs_in(source: LookupSource | SourceSet, targets: list[str],
                       record_dir: Path | None) -> None:
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


def _scope_option(ctx: click.Context, param: click.Parameter, value: str) -> Scope:
    try:
        return Scope.parse(value)
    except ValueError as exc:
        raise click.BadParameter(
            f"“{exc}” 不是核验范围；可写 特种作业、特种设备、建筑施工（或 special-operations、"
            "special-equipment、construction），多个用逗号分开，或 all（not a scope）"
        ) from None


@dataclass(frozen=True, slots=True)
class VerifyArgs:
    """The options of one ``verify`` call, as click parsed them."""

    roster: Path
    source_specs: tuple[str, ...]
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
    samr_url: str
    captchas: tuple[str, ...]
    timeout: float
    record_dir: Path | None
    cache_dir: Path | None
    no_cache: bool
    max_age: float
    refresh: bool
    match_key_file: Path | None
    scope: Scope


@cli.command()
# Not dir_okay=False: a folder, like any other unusable roster, is exit 4 with the reader's
# message, not a usage error.
@click.argument("roster", type=click.Path(path_type=Path))
@click.option("--source", "source_specs", multiple=True, default=("mem",), show_default=True,
              metavar="数据源", help=option_help.SOURCE)
@click.option("--as-of", metavar="日期", help=option_help.AS_OF)
@click.option("-o", "--output", "outputs", multiple=True, metavar="文件",
              help="输出文件：.xlsx、.csv 或 .json，“-” 表示把 JSON 写到标准输出；可重复；默认"
                   "写在花名册旁（output file）")
@click.option("--sheet", metavar="工作表",
              help="只读这个工作表（默认读每个含花名册的可见工作表；sheet）")
@click.option("--enterprise", metavar="单位名称",
              help="被核验单位的名称（默认从花名册标题行读取；enterprise）")
@click.option("--kind", type=click.Choice([k.value for k in Kind]), default=Kind.SELF_CHECK.value,
              show_default=True, help="核验类别：self-check（企业自查）或 inspection（执法检查）")
@click.option("--sample", "sample_size", type=click.IntRange(min=1), metavar="人数",
              help="随机抽查 N 人（spot check）")
@click.option("--seed", type=int, metavar="数",
              help="--sample 的随机种子：同一种子抽出同样的人员（seed）")
@click.option("--concurrency", type=click.IntRange(1, 64), default=4, show_default=True,
              metavar="个数", help="同时进行的查询最多几个（concurrency）")
@click.option("--rate", type=FiniteFloatRange(min=0, min_open=True, max=10_000), metavar="次每秒",
              help="任一秒内最多几次请求；mem 的每张验证码和每次查询各算一次（默认 mem 每秒 1 次，"
                   "registry 不限；rate）")
@click.option("--mask-ids", is_flag=True, help="所有输出中的身份证号都打码（mask ID numbers）")
@click.option("--show-id", is_flag=True,
              help="与 -o - 一起在终端上运行时显示完整身份证号（默认在终端上打码；管道和文件"
                   "得到完整号码；show ID numbers）")
@click.option("--no-progress", is_flag=True, help="不显示进度条（no progress bar）")
@click.option("--warn-days", type=click.IntRange(0, MAX_DAYS), default=DEFAULT_WARN_DAYS,
              show_default=True, metavar="天数",
              help="复审或有效期在这么多天内到期时提示“即将到期或需复审”（due_soon）")
@click.option("--mem-url", default="https://cx.mem.gov.cn", show_default=True, metavar="网址",
              help=option_help.MEM_URL)
@click.option("--samr-url", default="https://cnse.samr.gov.cn", show_default=True, metavar="网址",
              help="特种设备查询平台的地址（--source samr；镜像 https://cnse.e-cqs.cn；"
                   "special-equipment lookup URL）")
@click.option("--captcha", "captchas", multiple=True, metavar="方式", help=option_help.CAPTCHA)
@click.option("--timeout", type=FiniteFloatRange(min=0, min_open=True, max=3600), default=20,
              show_default=True, metavar="秒",
              help="向国家查询平台的一次请求最长可用的秒数，直到收完答复（timeout）")
@click.option("--record", "record_dir", type=click.Path(path_type=Path, file_okay=False),
              metavar="文件夹",
              help="把国家查询平台的原始答复保存在此文件夹，供审计，可用 replay:文件夹 重放"
                   "（record）")
@click.option("--cache-dir", type=click.Path(path_type=Path, file_okay=False),
              envvar="CERTCHECK_CACHE_DIR", show_envvar=True, metavar="文件夹",
              help="在此文件夹中建一个专用的 certcheck 文件夹保存查询结果，供下次运行使用；"
                   "此文件夹本身不变（默认：用户缓存目录；cache folder）")
@click.option("--no-cache", is_flag=True, help="不读也不写查询结果缓存（no cache）")
@click.option("--max-age", type=FiniteFloatRange(0, MAX_DAYS), default=7, show_default=True,
              metavar="天数", help="缓存的查询结果几天内有效（max age）")
@click.option("--refresh", is_flag=True,
              help="重新向数据源查询，并覆盖缓存中的结果（refresh）")
@match_key_option("区县设定的比对密钥文件：为每人写入带密钥的比对标记，身份证号遮挡的登记表也能在 "
                  "summary 中跨单位比对（the district's match key）")
@click.option("--scope", default=SCOPE_ALL, show_default=True, callback=_scope_option,
              help="核验范围：特种作业、特种设备、建筑施工（多个用逗号连接）或 all；"
                   "项目都不在范围内的人员列为“不在本次核验范围”，单独计数"
                   "（scope: special-operations, "
                   "special-equipment, construction, or all）。")
def verify(**options: object) -> None:
    """核验花名册中的每名人员，写出登记表并给出结论（check a roster）

    ROSTER 是人员花名册（Excel、WPS 或 CSV）。默认逐人到国家查询平台查询，每次查询需输入
    验证码；登记表默认写在花名册旁（花名册名.register.xlsx）。退出码见 certcheck --help。
    """
    options["as_of"] = parse_as_of(options["as_of"])  # type: ignore[arg-type]
    options["kind"] = Kind(str(options["kind"]))
    args = VerifyArgs(**options)  # type: ignore[arg-type]
    said = _OnInterrupt()
    with _guarded(said.message):
        code = _verify(args, said)
    sys.exit(code)


class _OnInterrupt:
    """What Ctrl-C says, settled once the source and the cache are open: only a run that keeps
    answers in the cache may promise that a rerun goes on from there."""

    def __init__(self) -> None:
        self.said = INTERRUPTED

    def message(self) -> str:
        return self.said

    def settle(self, args: VerifyArgs, source: LookupSource | SourceSet,
               cache: AnswerCache | None) -> None:
        if cache is not None:
            self.said = INTERRUPTED_KEPT
        elif args.no_cache:
            self.said = INTERRUPTED_NO_CACHE
        elif not source.cacheable:
            self.said = INTERRUPTED_NOT_CACHED


def _open_cache(args: VerifyArgs, source: LookupSource | SourceSet) -> AnswerCache | None:
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


def _verify(args: VerifyArgs, said: _OnInterrupt) -> int:
    from certcheck.cli.progress import RichProgress
    from certcheck.cli.source_options import open_chosen_sources
    from certcheck.cli.status import reading, status_line
    from certcheck.register.formats import OutputFormat
    from certcheck.roster import read_roster

    targets = _outputs(args.roster, args.outputs)
    key = match_key(args.match_key_file)
    if args.record_dir is not None:
        check_folder_to_make(args.record_dir, "--record")
    formats = {out: OutputFormat.from_path(out) for out in targets}
    to_stdout = "-" in targets
    console = make_console(stderr=to_stdout)
    errors = make_console(stderr=True)

    # Made now, drawn once lookups start: the captcha prompt is handed it, to step aside for.
    bar = RichProgress(errors, enabled=not args.no_progress)
    # The source first: a typo in --source fails at once, not after a large roster is read.
    # A registry file of many records takes a second to open: the status line says so.
    with status_line(errors, f"正在打开数据源 {plain(','.join(args.source_specs))}",
                     enabled=not args.no_progress):
        source = open_chosen_sources(
            args.source_specs, mem_url=args.mem_url, captchas=args.captchas,
            timeout=args.timeout, record_dir=args.record_dir, terminal=bar,
            samr_url=args.samr_url,
        )
        _check_scope(args.scope, source)
        for out in targets:
            for used in source.input_files:
                if out != "-" and same_file(Path(out), used):
                    raise UserError(
                        f"-o {out} 是数据源读取的文件（{used}）；certcheck 从不覆盖输入文件，"
                        "请换一个文件名（an input of the source）", ExitCode.USAGE,
                    )
        _refuse_outputs_in(source, targets, args.record_dir)
        # Before the roster is read: a cache that cannot be used (a link, a full disk) is said
        # at once, not after a large roster was read for nothing.
        cache = _open_cache(args, source)
    said.settle(args, source, cache)
    try:
        with status_line(errors, reading(args.roster), enabled=not args.no_progress):
            roster = read_roster(args.roster, args.sheet, today=args.as_of)
        return _verify_with(args, roster, source, cache, formats, console, errors, bar, key)
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


def _verify_with(args: VerifyArgs, roster: Roster, source: SourceSet,
                 cache: AnswerCache | None, formats: dict[str, OutputFormat], console: Console,
                 errors: Console, bar: RichProgress, key: MatchKey | None) -> int:
    from certcheck.pipeline import RunSettings, run_verify
    from certcheck.register.formats import write_all

    to_stdout = "-" in formats
    show_roster(console, roster)
    if not roster.workers:
        raise UserError(
            f"{args.roster.name}：表头下没有人员行，没有可核验的人员（no worker rows）"
        )
    settings = RunSettings(
        as_of=args.as_of, kind=args.kind, enterprise=args.enterprise, warn_days=args.warn_days,
        sample_size=args.sample_size, seed=args.seed, mask_ids=args.mask_ids, match_key=key,
        scope=args.scope,
    )
    if len(source.sources) == 1:
        engine = EngineSettings.for_source(source.sources[0], concurrency=args.concurrency,
                                           rate=args.rate)
    else:
        # Each source its own limiter: --rate for each, else each one's own default.
        engine = EngineSettings(concurrency=args.concurrency, rate=args.rate)
        errors.print(f"数据源：{plain(source.described())}", highlight=False, markup=False)
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
    if key is not None:
        errors.print(f"已写入比对标记（密钥指纹 {key.fingerprint}），供 summary 跨单位比对"
                     "（match tokens written）", highlight=False, markup=False)
    show_register(console, register, [Path(out) for out in formats if out != "-"])
    return exit_code_of(register.verdict)


def _check_scope(scope: Scope, sources: SourceSet) -> None:
    """A scope naming a regime that no source given holds would check nobody there: exit 2."""
    if scope.regimes is None:
        return
    from certcheck.models import REGIME_SHORT_ZH, Regime

    served = sources.traits.regimes
    missing = [r for r in Regime if r in scope.regimes and r not in served]
    if missing:
        names = "、".join(REGIME_SHORT_ZH[r] for r in missing)
        raise UserError(
            f"--scope {scope.zh}：所给数据源（{sources.name}）都不能核验{names}的证书；"
            "请用 --source 加上能核验它的数据源（samr：特种设备），或缩小 --scope"
            "（no source given holds that regime）", ExitCode.USAGE,
        )

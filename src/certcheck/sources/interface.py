"""The one interface every lookup source implements, and that layer's own errors."""

from __future__ import annotations

from abc import ABC, abstractmethod
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import ClassVar, Protocol

from certcheck.models import Outcome, Query, Regime, SourceTraits

#: A newly issued certificate takes about three days to become searchable in the national
#: lookup (DOMAIN.md); a week leaves room for weekends and holidays. One constant, one edit.
NATIONAL_PUBLICATION_DELAY = timedelta(days=7)


class SourceError(Exception):
    """The source cannot be used at all (bad registry file, unknown name, bad option)."""


class GateClosed(Exception):
    """The engine stopped asking the service (it refuses everything, or is down): the request
    is not sent. The message says why, without anyone's ID number."""


class SourceUnreachable(Exception):
    """No connection to the service could be made, attempt after attempt (its name did not
    resolve, nobody listens, the connection timed out, TLS failed): the engine stops the run
    rather than mark everybody unverified, and the CLI writes no register.

    ``detail`` says where and why, in words for a person, without anyone's ID number.
    ``answered`` is how many people the run had an answer for (each kept in the cache as it
    came); ``midway`` whether the service had answered in this run before it went away.
    """

    def __init__(self, detail: str, *, answered: int = 0, midway: bool = False) -> None:
        super().__init__(detail)
        self.detail = detail
        self.answered = answered
        self.midway = midway


class RequestGate(Protocol):
    """The engine's rate limiter as a source sees it: one permit per request to a service.

    A source whose lookup sends several requests (a captcha, then a query, then perhaps a new
    captcha) takes a permit for each, so that ``--rate`` counts requests, not lookups, and
    reports how the service took them, so that refusals slow the whole run down.
    """

    def request(self) -> AbstractAsyncContextManager[None]:
        """Wait until one more request may be sent, and hold the permit while it is under
        way: the request counts in the rate window until its answer is in (its status line;
        the body may be read after). Raises ``GateClosed`` once nothing more is to be sent."""

    def refused(self, retry_after: float | None = None) -> None:
        """The service refused a request (``mem_refusal``: HTTP 403, 429, a redirect to a
        challenge, a web firewall's page, the service's own rate limiter …)."""

    def answered(self) -> None:
        """The service answered a request as a service does (whatever the answer said)."""


@dataclass(frozen=True, slots=True)
class SourceOptions:
    """What every source is offered, whatever it is.

    A source that needs more declares its own options as a subclass (``options_type``; the
    national lookup's are ``MemOptions``), and the CLI builds those only for it. A source that
    needs nothing ignores this: the rate limiter reaches it through ``use_gate`` and the cache
    is the engine's.
    """

    #: Whether a person is at the terminal, who could be asked something (a captcha).
    interactive: bool = False
    #: The only ID numbers the run will ask for, when the caller knows them (``lookup``); a
    #: source holding a large file may then keep just their records. None: any.
    ids: frozenset[str] | None = None


class LookupSource(ABC):
    """Answers one query at a time with a tagged outcome.

    ``lookup`` must not raise for a network fault or a bad answer: it returns ``Failed`` with
    ``transient=True`` for what is worth retrying (the engine retries), and ``Failed`` otherwise.
    """

    #: The name used in ``--source NAME[:ARG]`` and recorded in registers.
    name: ClassVar[str]
    #: Lookups per second when the user gives no ``--rate``; None means unlimited.
    default_rate: ClassVar[float | None] = None
    #: One line for ``certcheck sources``.
    description: ClassVar[str] = ""
    #: Whether answers are worth keeping between runs. A local file answers at once and may
    #: change under us, so caching it would only serve stale answers.
    cacheable: ClassVar[bool] = True
    #: The certificate regimes this source holds records of; a worker whose declared item
    #: belongs to another regime is ``unverified/other_authority``, never looked up here.
    regimes: ClassVar[frozenset[Regime]] = frozenset({Regime.MEM})
    #: How long after issue a new certificate becomes findable here; "nothing found" for a
    #: certificate the roster says was first issued within this delay is ``too_recent``.
    publication_delay: ClassVar[timedelta] = timedelta(0)
    #: The options ``from_spec`` is given: ``SourceOptions``, or a subclass of it that this
    #: source declares for its own settings (built by the CLI for this source only).
    options_type: ClassVar[type[SourceOptions]] = SourceOptions

    def covered_regimes(self) -> frozenset[Regime]:
        """The regimes this instance answers for (a registry: those it holds records of)."""
        return type(self).regimes

    @property
    def traits(self) -> SourceTraits:
        """What the rules need to know of this source."""
        return SourceTraits(self.covered_regimes(), self.publication_delay)

    @classmethod
    @abstractmethod
    def from_spec(cls, arg: str | None, options: SourceOptions) -> LookupSource:
        """Build the source from the part of ``--source`` after the colon.

        ``options`` is an ``options_type`` when the caller knows this source's own options, else
        the plain ``SourceOptions``: a source falls back to its defaults for what it lacks.
        Raises SourceError with a user-facing message when ``arg`` is unusable.
        """

    @abstractmethod
    async def lookup(self, query: Query) -> Outcome:
        """Every official record for the query's ID number, or NotFound, or Failed."""

    def use_gate(self, gate: RequestGate) -> bool:
        """Offered the engine's rate limiter before the first lookup.

        A source that sends more than one request per lookup keeps it, takes a permit before
        each request, reports refusals, and returns True; the engine then no longer takes a
        permit per lookup. By default (False) the engine paces whole lookups.
        """
        return False

    async def aclose(self) -> None:  # noqa: B027 - optional hook, most sources hold nothing
        """Release connections or files."""

    @property
    def cache_identity(self) -> str:
        """What distinguishes this source's answers in the cache (name plus its target)."""
        return self.name

    @property
    def input_files(self) -> tuple[Path, ...]:
        """Local files the source reads, which no output may overwrite."""
        return ()

    @property
    def input_folders(self) -> tuple[Path, ...]:
        """Local folders whose every file the source may read: no output may go inside one."""
        return ()


class ImmediateSource(LookupSource):
    """A source that answers from local data at once: no network, nothing worth retrying.

    The engine calls ``lookup_now`` in a plain loop when no rate limit is set, since tasks,
    slots and retry controllers only cost time for such a source (half a second per 20,000
    workers). Its answers are not cached: they are already local, and may change.
    """

    default_rate = None
    cacheable = False

    @abstractmethod
    def lookup_now(self, query: Query) -> Outcome:
        """Every record for the query's ID number, or NotFound, or Failed; never raises."""

    async def lookup(self, query: Query) -> Outcome:
        return self.lookup_now(query)

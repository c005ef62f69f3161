"""Sending one document to several robots: what is new for each, split, paced, recorded.

This is the function other commands call (``due --notify``, ``diff --notify``): give it the
document, the robots and, to send each entry once, the record of what was sent.

For each robot in turn: the entries not yet sent to it (all of them with ``send_all`` or
without a record), split under its platform's limit, each message posted after the robot's
rate limiter allows it and recorded the moment the platform confirms it. A robot that fails
stops there (what it was sent stays recorded, the rest is sent by the next run) and the next
robot is still served. With ``dry_run`` the messages are handed to ``show`` instead of being
posted, and nothing is recorded.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date

import httpx

from certcheck.notify.document import Document
from certcheck.notify.robots import Robot
from certcheck.notify.send import TIMEOUT, RateLimiter, SendError, post
from certcheck.notify.split import Message, split
from certcheck.notify.state import SentState

#: Shows a message instead of sending it: the robot, the message, its number, how many.
Show = Callable[[Robot, Message, int, int], None]


@dataclass(slots=True)
class Outcome:
    """What happened for one robot."""

    robot: Robot
    #: Messages the document made for it, and how many went out.
    messages: int = 0
    delivered: int = 0
    #: Entries in the messages that went out, and entries left out as already sent.
    entries: int = 0
    skipped: int = 0
    error: SendError | None = None
    #: The record of what was sent could not be written after a delivered message (a full
    #: disk, a folder made read-only): that robot stops, since what it is sent next would not
    #: be remembered either; what was delivered and not recorded goes again with the next run.
    record_error: OSError | None = None
    #: Seconds the rate limiter waited.
    waited: float = 0.0
    shown: list[Message] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.error is None and self.record_error is None


@dataclass(slots=True)
class Pace:
    """The clocks and the HTTP client, injectable for tests."""

    monotonic: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep
    wall: Callable[[], float] = time.time
    client: httpx.Client | None = None
    limiters: dict[str, RateLimiter] = field(default_factory=dict)

    def limiter(self, robot: Robot) -> RateLimiter:
        if robot.fingerprint not in self.limiters:
            self.limiters[robot.fingerprint] = RateLimiter(clock=self.monotonic,
                                                           sleep=self.sleep)
        return self.limiters[robot.fingerprint]


def send_document(
    document: Document,
    robots: Sequence[Robot],
    *,
    as_of: date,
    state: SentState | None = None,
    send_all: bool = False,
    dry_run: bool = False,
    show: Show | None = None,
    pace: Pace | None = None,
) -> list[Outcome]:
    """Send ``document`` to every robot; one ``Outcome`` each, in order.

    ``state`` is the record of what was sent (None: everything is sent, nothing recorded);
    ``as_of`` is the date entries are recorded as sent on.
    """
    pace = pace or Pace()
    own_client = pace.client is None and not dry_run
    client = pace.client or (None if dry_run else httpx.Client(timeout=TIMEOUT))
    try:
        return [_one(document, robot, as_of, state, send_all, dry_run, show, pace, client)
                for robot in robots]
    finally:
        if own_client and client is not None:
            client.close()


def _one(document: Document, robot: Robot, as_of: date, state: SentState | None,
         send_all: bool, dry_run: bool, show: Show | None, pace: Pace,
         client: httpx.Client | None) -> Outcome:
    outcome = Outcome(robot)
    chosen = document
    if state is not None and not send_all:
        chosen = document.only(lambda line: state.unsent(robot.fingerprint, line))
        outcome.skipped = len(document.lines) - len(chosen.lines)
        if outcome.skipped and chosen.lines:
            note = f"此前已提醒、无变化的 {outcome.skipped} 项未重复列出。"
            chosen = replace(chosen, footer=(note, *chosen.footer))
    messages = split(chosen, robot.platform) if chosen.lines else []
    outcome.messages = len(messages)
    limiter = pace.limiter(robot)
    for k, message in enumerate(messages, start=1):
        if dry_run or client is None:
            outcome.shown.append(message)
            if show is not None:
                show(robot, message, k, len(messages))
            continue
        try:
            _deliver(client, robot, message, limiter, pace)
        except SendError as exc:
            outcome.error = exc
            break
        finally:
            outcome.waited = limiter.waited
        outcome.delivered += 1
        outcome.entries += len(message.lines)
        if state is not None:
            try:
                state.record(robot.fingerprint, message.lines, as_of)
            except OSError as exc:
                outcome.record_error = exc
                break
    return outcome


def _deliver(client: httpx.Client, robot: Robot, message: Message, limiter: RateLimiter,
             pace: Pace) -> None:
    """Post one message when the limiter allows; after "too fast" wait a minute, once."""
    limiter.wait()
    try:
        post(client, robot, message.body, pace.wall)
    except SendError as exc:
        if not exc.too_fast:
            raise
        limiter.hold_off()
        limiter.wait()
        post(client, robot, message.body, pace.wall)

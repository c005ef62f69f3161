"""Running certcheck the way a hostile input is tried: in a child process with a memory limit
and a time limit, so that an attack that hangs or swells fails the test instead of the machine."""

from __future__ import annotations

import resource
import subprocess
from collections.abc import Callable, Mapping, Sequence

#: What every attack must end within (issue 19): 1.5 GiB of address space, 30 seconds.
MEMORY_LIMIT = 3 * 2**29
TIME_LIMIT = 30.0


def limits(memory: int = MEMORY_LIMIT) -> Callable[[], None]:
    """A ``preexec_fn`` that caps the child's address space."""

    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))

    return apply


def run_confined(
    cmd: Sequence[str],
    *,
    env: Mapping[str, str] | None = None,
    timeout: float = TIME_LIMIT,
    memory: int = MEMORY_LIMIT,
) -> subprocess.CompletedProcess[str]:
    """``cmd`` run to its end under the limits; a hang past ``timeout`` fails the test."""
    return subprocess.run(
        list(cmd), capture_output=True, text=True, timeout=timeout, env=env,
        preexec_fn=limits(memory),
    )


def start_confined(
    cmd: Sequence[str],
    *,
    env: Mapping[str, str] | None = None,
    memory: int = MEMORY_LIMIT,
) -> subprocess.Popen[str]:
    """``cmd`` started under the memory limit; the caller waits with a timeout."""
    return subprocess.Popen(
        list(cmd), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
        preexec_fn=limits(memory),
    )

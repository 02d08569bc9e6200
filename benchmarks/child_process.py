"""A program under test in its own process, as the Telegram benchmarks run the bot.

Its own process gives it its own core, as in production, and lets a benchmark read its
CPU time and memory from /proc, stop it as a service manager would, or kill it outright.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

STOP_TIMEOUT_S = 20.0


class ChildProcess:
    """One run of `argv` in `folder`, its output kept in `log` for when something fails."""

    def __init__(self, argv: list[str], env: dict[str, str], folder: Path, log_name: str) -> None:
        self._argv = argv
        self._env = env
        self._folder = folder
        self.log = folder / log_name
        self.process: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        with self.log.open("ab") as log:
            self.process = await asyncio.create_subprocess_exec(
                *self._argv, cwd=self._folder, env=self._env, stdout=log, stderr=log
            )

    def check_alive(self) -> None:
        """Raise with the end of its log if it has exited."""
        if self.process is not None and self.process.returncode is not None:
            raise RuntimeError(f"process exited early:\n{self.log.read_text()[-2000:]}")

    def cpu_seconds(self) -> float:
        """CPU time used so far (user + system, from /proc): cost, not speed."""
        assert self.process is not None
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def rss_mb(self, field: str = "VmRSS") -> float:
        """Resident memory now (VmRSS), or its peak so far (`field="VmHWM"`)."""
        assert self.process is not None
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
        return 0.0

    async def kill(self) -> None:
        """SIGKILL: no shutdown code runs, as in a power cut."""
        assert self.process is not None
        self.process.kill()
        await self.process.wait()

    async def stop(self) -> None:
        """SIGTERM, as a service manager stops the bot; SIGKILL if it does not exit."""
        if self.process is None or self.process.returncode is not None:
            return
        self.process.terminate()
        try:
            await asyncio.wait_for(self.process.wait(), STOP_TIMEOUT_S)
        except TimeoutError:
            await self.kill()

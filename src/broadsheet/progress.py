"""What a long import tells the operator while it runs, and the tally at the end.

On a terminal: one line redrawn in place (a bar, items done, rate, time left). Anywhere else
(a log file, a CI job): a plain line every few seconds, so logs stay readable.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

BAR = 24
LOG_EVERY = 5.0  # seconds between plain progress lines
DRAW_EVERY = 0.1  # seconds between redraws on a terminal


@dataclass
class Tally:
    created: int = 0
    updated: int = 0
    skipped: int = 0
    refused: int = 0
    warnings: list[str] = field(default_factory=list)

    def copy(self) -> Tally:
        return Tally(self.created, self.updated, self.skipped, self.refused,
                     list(self.warnings))

    def summary(self) -> str:
        return (f"created {self.created}, updated {self.updated}, skipped {self.skipped}, "
                f"refused {self.refused}, warnings {len(self.warnings)}")


class Progress:
    """Progress of one run: `advance()` per item; `fraction` when the total is known."""

    def __init__(self, stream, *, tty: bool, clock=time.monotonic):
        self.stream, self.tty, self.clock = stream, tty, clock
        self.started = self.last = clock()
        self.items = 0
        self.fraction = 0.0
        self.drawn = False

    def advance(self, items: int = 1, *, fraction: float | None = None) -> None:
        self.items += items
        if fraction is not None:
            self.fraction = max(0.0, min(1.0, fraction))
        now = self.clock()
        if now - self.last >= (DRAW_EVERY if self.tty else LOG_EVERY):
            self.last = now
            self._show(now)

    def line(self, now: float | None = None) -> str:
        elapsed = max((now or self.clock()) - self.started, 1e-9)
        rate = self.items / elapsed
        left = (elapsed * (1 - self.fraction) / self.fraction) if self.fraction > 0 else None
        eta = _clock(left) if left is not None else "?"
        return f"{self.items} items, {rate:.0f}/s, {eta} left"

    def _show(self, now: float) -> None:
        if self.tty:
            filled = int(BAR * self.fraction)
            bar = "#" * filled + "-" * (BAR - filled)
            self.stream.write(f"\r[{bar}] {self.fraction:4.0%} {self.line(now)}\x1b[K")
            self.drawn = True
        else:
            self.stream.write(f"progress: {self.line(now)}\n")
        self.stream.flush()

    def finish(self) -> None:
        """Clear the bar (before other output, and at the end); nothing if none is shown."""
        if self.drawn:
            self.stream.write("\r\x1b[K")
            self.stream.flush()
            self.drawn = False


def _clock(seconds: float) -> str:
    seconds = int(seconds + 0.5)
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"

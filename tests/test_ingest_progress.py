"""What a long import shows: a bar on a terminal, plain lines in a log, and the tally."""

import io

from broadsheet.progress import Progress, Tally


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def test_terminal_gets_a_bar_with_rate_and_time_left():
    clock, out = Clock(), io.StringIO()
    progress = Progress(out, tty=True, clock=clock)
    for n in range(1, 101):
        clock.now += 0.125
        progress.advance(fraction=n / 400)
    line = out.getvalue().rsplit("\r", 1)[-1]
    # 100 items in 12.5 s, a quarter of the way: 8/s, 37.5 s to go.
    assert line == "[######------------------]  25% 100 items, 8/s, 0:00:38 left\x1b[K"
    assert "\n" not in out.getvalue()  # redrawn in place
    progress.finish()
    assert out.getvalue().endswith("\r\x1b[K")


def test_log_gets_a_plain_line_every_few_seconds():
    clock, out = Clock(), io.StringIO()
    progress = Progress(out, tty=False, clock=clock)
    for n in range(1, 31):
        clock.now += 1
        progress.advance(fraction=n / 60)
    lines = out.getvalue().splitlines()
    assert len(lines) == 6 and all(line.startswith("progress: ") for line in lines)
    assert lines[-1] == "progress: 30 items, 1/s, 0:00:30 left"
    assert "\r" not in out.getvalue() and "\x1b" not in out.getvalue()


def test_tally_summary_names_every_count():
    tally = Tally(created=3, updated=1, skipped=2, refused=1, warnings=["a", "b"])
    assert tally.summary() == "created 3, updated 1, skipped 2, refused 1, warnings 2"

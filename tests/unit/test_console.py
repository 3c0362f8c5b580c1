"""The console on a terminal: status lines replaced in place, progress of local work before a plan."""

import io

from botship.cli.console import Console, ConsoleReport


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_planning_progress_is_one_line_replaced_in_place_on_a_terminal():
    out = Terminal()
    console = Console(out=out)
    report = ConsoleReport(console)
    report.log("building the artifact")
    report.progress(5, 10, "files zipped")
    console.line("plan follows")
    assert out.getvalue() == "\x1b[2m  · building the artifact\x1b[0m\n\r\x1b[K  · 50% files zipped\r\x1b[Kplan follows\n"


def test_progress_is_not_printed_where_nobody_watches_it_change():
    out = io.StringIO()
    ConsoleReport(Console(out=out)).progress(5, 10, "files zipped")
    assert out.getvalue() == ""

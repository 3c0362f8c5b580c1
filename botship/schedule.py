"""Schedules in AWS syntax — `rate(N unit)` or `cron(6 fields)` — parsed and checked once.

Its parts, each in a module of its own: the grammar (`schedule_grammar`: the Rate and Cron types, parsing and its
messages), when a schedule runs (`schedule_runs`) and a schedule in words (`schedule_words`). Every public name is
imported from here.
"""

from __future__ import annotations

from .schedule_grammar import Cron, Rate, Schedule, parse_schedule
from .schedule_runs import check_fires, next_runs, runs_per_month
from .schedule_words import describe_schedule

__all__ = ["Cron", "Rate", "Schedule", "check_fires", "describe_schedule", "next_runs", "parse_schedule",
           "runs_per_month"]

"""The deployed bots' commands, twins of the bots screen: bots, status, logs, runs, history, trades, and the
changes (pause, resume, stop-entries, flatten, resume-entries, rollback). `state ls|get` live in running.py
beside `state versions|restore`.

A bot is named by profile or by name; --platform and --where pick one when several share a name, and
--region / --subscription look in more places than the project's profiles deploy to.
"""

from __future__ import annotations

from pathlib import Path

import click

from .options import is_interactive, json_option, project_dir, project_option, use_console


def pick_options(func):
    """--platform, --where, --region, --subscription: where to look for a bot, and which of several to take."""
    func = click.option("--subscription", "subscriptions", metavar="ID", multiple=True,
                        help="Also look in this Azure subscription (repeatable).")(func)
    func = click.option("--region", "regions", metavar="REGION", multiple=True,
                        help="Also look in this AWS region (repeatable).")(func)
    func = click.option("--where", metavar="LOCATION",
                        help="The bot's location (a region, an Azure location or group), when several share its "
                             "name.")(func)
    return click.option("--platform", metavar="NAME",
                        help="The bot's platform (aws, azure, sandbox), when several share its name.")(func)


def bot_command(name: str, short_help: str):
    """A command acting on one bot: BOT, where to look for it, --project and --json."""

    def wrap(func):
        func = json_option(func)
        func = project_option(func)
        func = pick_options(func)
        func = click.argument("bot", metavar="BOT")(func)
        return click.command(name, short_help=short_help)(func)

    return wrap


def _pick(platform, where, regions, subscriptions):
    from .bots_flow import Pick

    return Pick.of(platform, where, regions, subscriptions)


yes_option = click.option("--yes", "-y", is_flag=True, help="Go ahead without asking (for scripts and CI).")


@click.command("bots", short_help="List every deployed bot, from the clouds.")
@click.option("--region", "regions", metavar="REGION", multiple=True,
              help="Also look in this AWS region (repeatable).")
@click.option("--subscription", "subscriptions", metavar="ID", multiple=True,
              help="Also look in this Azure subscription (repeatable).")
@click.option("--table", "as_table", is_flag=True, help="Print the table even on a terminal (no bots screen).")
@project_option
@json_option
def bots(regions: tuple[str, ...], subscriptions: tuple[str, ...], as_table: bool, project: Path,
         as_json: bool) -> int:
    """List every bot you have deployed, found from the clouds' own tags, not from local files.

    botship looks where the project's profiles deploy to, in the places you add with --region
    and --subscription, and in the sandbox while it holds bots. Each row: name, platform and
    location, PAPER/LIVE, status (active, paused, failed — the last run counts — or updating),
    schedule with the next run in the bot's time zone, the last run, and the version shipped.
    A place that cannot be looked in is shown with its error instead of its rows (exit 1).

    On a terminal this opens the bots screen; with --json, --table or a pipe it prints.

    \b
    Examples:
      botship bots                                   the places the profiles deploy to
      botship bots --region eu-west-1 --region us-east-1
      botship bots --subscription 0000-aaaa --json   one JSON object per bot and per place
    """
    from .bots_flow import asked_of, run_list

    console = use_console(as_json)
    root = project_dir(project)
    asked = asked_of(regions, subscriptions)
    if not as_table and is_interactive(console):
        opened = _open_bots_screen(root, asked)
        if opened:
            return 0
    return run_list(root, asked, console)


def _open_bots_screen(project: Path, asked: dict) -> bool:
    """Open the TUI's bots screen (botship.tui.bots.run_bots_app); False when the TUI has none, or cannot look in
    the places asked for (the table is printed then)."""
    import inspect

    try:
        from botship.tui.bots import run_bots_app
    except ImportError:
        return False
    if "asked" in inspect.signature(run_bots_app).parameters:
        run_bots_app(project, asked=asked)
    elif asked:
        return False
    else:
        run_bots_app(project)
    return True


@bot_command("status", "Show a bot: status, schedule, last run.")
def status(bot, platform, where, regions, subscriptions, project, as_json) -> int:
    """Show BOT as deployed now: status, schedule and its next five runs (in the bot's time
    zone), the last run, the control level (stop-entries, flatten), the version shipped, its
    resources, and its variables and secrets (names only, never values).

    BOT is a profile's name or a bot's name (from the profiles or the clouds).

    \b
    Examples:
      botship status prod
      botship status sma-bot --platform aws --where eu-central-1
      botship status sma-bot --json
    """
    from .bots_flow import run_status

    return run_status(project_dir(project), bot, _pick(platform, where, regions, subscriptions), use_console(as_json))


@bot_command("logs", "Print a bot's log lines; -f follows them.")
@click.option("--since", default="1h", show_default=True, metavar="DURATION",
              help="How far back to start: 30m, 2h, 1d, 1h30m (units s, m, h, d, w).")
@click.option("--follow", "-f", is_flag=True, help="Keep printing new lines as they arrive, until Ctrl-C.")
def logs(bot, platform, where, regions, subscriptions, project, as_json, since, follow) -> int:
    """Print BOT's log lines from its cloud's log service, oldest first, secrets masked.

    On AWS and the sandbox they come from CloudWatch Logs; on Azure from Application
    Insights, which shows a line a few minutes after it was written (said above the lines).
    Each run's last lines are also kept with its record: `botship runs BOT --run RUN`.

    \b
    Examples:
      botship logs prod                  the last hour
      botship logs prod --since 1d       the last day
      botship logs sma-bot -f            follow new lines until Ctrl-C
      botship logs prod --since 30m --json
    """
    from .bots_logs import run_logs

    return run_logs(project_dir(project), bot, _pick(platform, where, regions, subscriptions), since, follow,
                    use_console(as_json))


@bot_command("runs", "List a bot's last runs, or show one in full.")
@click.option("--limit", "-n", default=20, show_default=True, type=int, help="How many runs to list.")
@click.option("--run", "run_id", metavar="RUN", help="Show this run in full: its result and last log lines.")
def runs(bot, platform, where, regions, subscriptions, project, as_json, limit, run_id) -> int:
    """List BOT's last runs, newest first, as its runtime recorded them beside its state:
    when, what started it (schedule, invoke, local), outcome, how long, the control level
    it ran under, the state generation it left, bytes synced, and its result or error.

    Reading them is one request, on every cloud, whether or not a log service keeps lines.

    \b
    Examples:
      botship runs prod
      botship runs prod --limit 5 --json
      botship runs prod --run 3f9c2a     one run: result and last log lines
    """
    from .bots_flow import run_runs

    return run_runs(project_dir(project), bot, _pick(platform, where, regions, subscriptions), limit, run_id,
                    use_console(as_json))


@bot_command("history", "Show what was done to a bot, newest first.")
def history(bot, platform, where, regions, subscriptions, project, as_json) -> int:
    """Show BOT's deployment history, newest first: each deploy, rollback, pause, resume and
    control change, when, which version, from which profile, by whom (the signed-in
    identity), and its outcome. It is kept beside the bot's state, in the cloud.

    \b
    Examples:
      botship history prod
      botship history sma-bot --json
    """
    from .bots_flow import run_history

    return run_history(project_dir(project), bot, _pick(platform, where, regions, subscriptions),
                       use_console(as_json))


@bot_command("pause", "Disable a deployed bot's schedule.")
@yes_option
def pause(bot, platform, where, regions, subscriptions, project, as_json, yes) -> int:
    """Pause BOT: its schedule is disabled (EventBridge Scheduler on AWS, the timer's
    disabled setting on Azure, the local scheduler on the sandbox). Nothing else changes:
    its state, code and settings stay, and a run started by hand still works. Undo with
    `botship resume BOT`. Asks first on a terminal; scripts pass --yes.

    \b
    Examples:
      botship pause prod
      botship pause sma-bot --platform aws --where eu-west-1 --yes
    """
    from .bots_control import run_pause

    console = use_console(as_json)
    return run_pause(project_dir(project), bot, _pick(platform, where, regions, subscriptions), True, yes, console,
                     is_interactive(console))


@bot_command("resume", "Enable a paused bot's schedule again.")
@yes_option
def resume(bot, platform, where, regions, subscriptions, project, as_json, yes) -> int:
    """Resume BOT: its schedule is enabled again and the next run is shown. Asks first on a
    terminal; scripts pass --yes. (To let a bot open positions again after stop-entries or
    flatten, use `botship resume-entries BOT`.)

    \b
    Examples:
      botship resume prod
      botship resume prod --yes --json
    """
    from .bots_control import run_pause

    console = use_console(as_json)
    return run_pause(project_dir(project), bot, _pick(platform, where, regions, subscriptions), False, yes, console,
                     is_interactive(console))


def _control_command(name: str, level: str, short_help: str, doc: str):
    def command(bot, platform, where, regions, subscriptions, project, as_json, yes) -> int:
        from .bots_control import run_control

        console = use_console(as_json)
        return run_control(project_dir(project), bot, _pick(platform, where, regions, subscriptions), level, yes,
                           console, is_interactive(console))

    command.__doc__ = doc
    return bot_command(name, short_help)(yes_option(command))


stop_entries = _control_command("stop-entries", "stopentry", "Let a bot open no new positions.", """\
    Stop BOT opening new positions: from its next run, buy orders are refused while open
    positions are still managed (freqtrade's stopentry). The level is written to
    algorithm_control.json in the bot's state under its lock, and the runtime reads it before
    the bot runs; framework bots obey it through botship's paper exchange, plain-template bots
    read BOTSHIP_CONTROL. Undo with `botship resume-entries BOT`. Asks first on a terminal.

    \b
    Examples:
      botship stop-entries prod
      botship stop-entries prod --yes --json
    """)

flatten = _control_command("flatten", "flatten", "Sell a bot's open positions at its next run.", """\
    Flatten BOT: at its next run every open position is sold at market and no new ones are
    opened (freqtrade's forceexit), until `botship resume-entries BOT`. A LIVE bot's flatten
    sells with real money: it needs its name typed, or --yes. Pause the bot too if it should
    not run at all afterwards.

    \b
    Examples:
      botship flatten prod
      botship flatten live-bot --yes
    """)

resume_entries = _control_command("resume-entries", "run", "Let a bot open positions again.", """\
    Let BOT trade as usual again: the control level goes back to run, so its next run may
    open positions. Asks first on a terminal; scripts pass --yes.

    \b
    Examples:
      botship resume-entries prod
      botship resume-entries prod --yes
    """)


@bot_command("rollback", "Ship an earlier version of a bot again.")
@click.option("--to", "to", metavar="VERSION", help="The version to ship (a code hash or image digest, or its start; "
                                                    "default: the one before the running one).")
@click.option("--list", "list_only", is_flag=True, help="List the versions a rollback can ship, and change nothing.")
@yes_option
def rollback(bot, platform, where, regions, subscriptions, project, as_json, to, list_only, yes) -> int:
    """Roll BOT back to an earlier version: the exact artifact shipped then (a code zip kept
    by its hash in the bot's state store, an image by its digest) is shipped again, and the
    rollback is recorded in its history. Its state is not touched. A LIVE bot needs its name
    typed, or --yes.

    \b
    Examples:
      botship rollback prod --list           the versions kept
      botship rollback prod                  the version before the running one
      botship rollback prod --to 3f9c2a1 --yes
    """
    from .bots_control import run_rollback

    console = use_console(as_json)
    return run_rollback(project_dir(project), bot, _pick(platform, where, regions, subscriptions), to, list_only,
                        yes, console, is_interactive(console))


@bot_command("trades", "Show a bot's trading summary and positions.")
@click.option("--mode", type=click.Choice(["paper", "live"]), default=None,
              help="Whose state to read (default: the mode the bot is deployed in).")
@click.option("--limit", "-n", default=10, show_default=True, type=int,
              help="How many open and closed trades to list (0: the summary and positions only).")
def trades(bot, platform, where, regions, subscriptions, project, as_json, mode, limit) -> int:
    """Show BOT's trading: equity, return, realized and unrealized P&L, open positions, win
    rate and fees, then its open positions and last trades. Read from a downloaded copy of its
    trading database (an investing-algorithm-framework bot's databases/*.sqlite3, or the plain
    template's state.db); nothing is written back.

    \b
    Examples:
      botship trades prod
      botship trades prod --limit 0      the summary and positions only
      botship trades sma-bot --json
    """
    from .bots_trades import run_trades

    return run_trades(project_dir(project), bot, _pick(platform, where, regions, subscriptions), mode, limit,
                      use_console(as_json))


COMMANDS = (bots, status, logs, runs, history, pause, resume, stop_entries, flatten, resume_entries, rollback, trades)

"""The flo-comms command line: members, demo data and figures for scripts."""

from __future__ import annotations

import argparse
import getpass
import json
import logging
import sys
import time
from typing import TYPE_CHECKING

from flo_comms.errors import FloCommsError, ValidationError
from flo_comms.members import Role

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from flo_comms.mail_transports import Transport


def _engine(arguments: argparse.Namespace, *, must_exist: bool = False):
    from pathlib import Path

    from flo_comms.config import DatabaseSettings, database_settings
    from flo_comms.db import open_engine, parse_url
    from flo_comms.migrate import upgrade

    settings = database_settings()
    if arguments.database_url:
        settings = DatabaseSettings(arguments.database_url, is_embedded_default=False)
    url = parse_url(settings.url)
    # Reading a mistyped DuckDB path would create an empty database there.
    is_file = url.get_backend_name() == "duckdb"
    if must_exist and is_file and not Path(url.database or "").is_file():
        raise FileNotFoundError(
            f"There is no database file at {url.database}; check the path."
        )
    engine = open_engine(settings.url)
    upgrade(engine)
    return engine


def _read_password() -> str:
    # Never from an argument: arguments show in `ps` and in shell history.
    if sys.stdin.isatty():
        first = getpass.getpass("Password: ")
        if getpass.getpass("Repeat the password: ") != first:
            raise ValidationError({"password": "The two passwords differ."})
        return first
    return sys.stdin.readline().rstrip("\r\n")


def create_member_command(arguments: argparse.Namespace) -> int:
    from flo_comms.members import create_member

    member = create_member(
        _engine(arguments),
        name=arguments.name,
        email=arguments.email,
        role=arguments.role,
        password=_read_password(),
        time_zone=arguments.time_zone,
    )
    print(
        f"Created {member.role.value} {member.name} <{member.email}> (id {member.id})."
    )
    return 0


def demo_command(arguments: argparse.Namespace) -> int:
    from flo_comms.demo import DEMO_DOMAIN, DEMO_PASSWORD, create_demo_data

    create_demo_data(_engine(arguments))
    print(
        f"Demo data created. Sign in as admin@{DEMO_DOMAIN}, recruiter@{DEMO_DOMAIN} "
        f"or manager@{DEMO_DOMAIN} with the password {DEMO_PASSWORD}."
    )
    return 0


def scale_command(arguments: argparse.Namespace) -> int:
    from tqdm import tqdm

    from flo_comms.demo import DEMO_PASSWORD
    from flo_comms.scale import (
        SCALE_DOMAIN,
        ScaleSize,
        fill_scale_database,
        require_empty,
    )

    size = ScaleSize(arguments.candidates, arguments.communications)
    engine = _engine(arguments)
    require_empty(engine)
    with tqdm(
        total=size.communications,
        unit=" communications",
        unit_scale=True,
        desc="Planning",
        file=sys.stderr,
    ) as bar:
        report = fill_scale_database(
            engine,
            size,
            seed=arguments.seed,
            progress=bar.update,
            stage=bar.set_description,
        )
    print(f"Wrote {sum(report.rows.values()):,} rows in {report.seconds:.0f} s:")
    for table, count in report.rows.items():
        print(f"  {table}: {count:,}")
    longest = ", ".join(str(i) for i in report.long_timeline_candidates)
    print(f"Candidates with the longest timelines: {longest}.")
    print(
        f"Sign in as admin@{SCALE_DOMAIN}, recruiter@{SCALE_DOMAIN} or "
        f"manager@{SCALE_DOMAIN} with the password {DEMO_PASSWORD}."
    )
    return 0


def _at_least_one(text: str) -> int:
    try:
        number = int(text.replace("_", "").replace(",", ""))
    except ValueError:
        number = 0
    if number < 1:
        raise argparse.ArgumentTypeError(
            f"must be a whole number above zero, not {text!r}"
        )
    return number


def stats_command(arguments: argparse.Namespace) -> int:
    from flo_comms.stats import database_counts

    counts = database_counts(_engine(arguments, must_exist=True))
    if arguments.json:
        print(json.dumps(counts, indent=2, sort_keys=True))
    else:
        for key, value in counts.items():
            print(f"{key}: {value}")
    return 0


def tidy_command(arguments: argparse.Namespace) -> int:
    from flo_comms import timeline_store, volume_counts

    engine = _engine(arguments, must_exist=True)
    if timeline_store.tidy(engine, force=True):
        print("the timelines' reading copy is sorted again")
    else:
        print("the timelines' reading copy needs no sorting here (PostgreSQL: index)")
    volume_counts.tidy(engine, force=True)
    print("the analytics counts are folded")
    return 0


def copy_command(arguments: argparse.Namespace) -> int:
    from tqdm import tqdm

    from flo_comms.copy import copy_database, ensure_empty_target, total_rows
    from flo_comms.db import open_engine, safe_url

    source = _engine(arguments, must_exist=True)
    target = open_engine(arguments.to)
    try:
        ensure_empty_target(target)
        with tqdm(
            total=total_rows(source), unit=" rows", desc="Copying", file=sys.stderr
        ) as bar:
            report = copy_database(source, target, progress=bar.update)
    finally:
        source.dispose()
        target.dispose()
    print(f"Copied {report.total} rows to {safe_url(arguments.to)}; row counts match:")
    for table, count in report.target_counts.items():
        print(f"  {table}: {count}")
    return 0


def deliver_command(arguments: argparse.Namespace) -> int:
    from flo_comms.delivery import deliver_due, make_transport
    from flo_comms.mail_settings import MailTransport, mail_settings

    try:
        settings = mail_settings()
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    engine = _engine(arguments, must_exist=True)
    transport = make_transport(settings)
    if settings.transport is MailTransport.SMTP:
        where = f"SMTP server {settings.smtp_host}:{settings.smtp_port}"
    else:
        where = f"outbox folder {settings.outbox_dir}"
    if arguments.loop is None:
        print(f"Delivery through the {where}: {deliver_due(engine, transport)}.")
        return 0
    print(f"Delivering through the {where} every {arguments.loop:g} s; Ctrl-C stops.")
    try:
        while True:
            _deliver_once_in_loop(engine, transport)
            time.sleep(arguments.loop)
    except KeyboardInterrupt:
        return 0


def dispatch_command(arguments: argparse.Namespace) -> int:
    from flo_comms.delivery import make_transport
    from flo_comms.mail_settings import mail_settings

    try:
        settings = mail_settings()
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    engine = _engine(arguments, must_exist=True)
    transport = make_transport(settings)
    if arguments.loop is None:
        print(_dispatch_once(engine, transport, settings.from_address))
        return 0
    print(
        f"Sending due reminders and follow-ups and delivering the queue every "
        f"{arguments.loop:g} s; Ctrl-C stops."
    )
    log = logging.getLogger(__name__)
    try:
        while True:
            # A lost connection or a bad run must not end a long-lived loop.
            try:
                line = _dispatch_once(engine, transport, settings.from_address)
            except Exception:
                log.exception("dispatch run failed")
            else:
                print(f"{time.strftime('%Y-%m-%d %H:%M:%S')}: {line}", flush=True)
            time.sleep(arguments.loop)
    except KeyboardInterrupt:
        return 0


def _dispatch_once(engine: Engine, transport: Transport, from_address: str) -> str:
    from flo_comms.delivery import deliver_due
    from flo_comms.event_dispatch import dispatch_event_emails

    events = dispatch_event_emails(engine, from_address=from_address)
    delivery = deliver_due(engine, transport)
    return f"reminders and follow-ups: {events}. Delivery: {delivery}."


def _deliver_once_in_loop(engine: Engine, transport: Transport) -> None:
    from flo_comms.delivery import deliver_due

    # A lost database connection or a bad run must not end a long-lived loop.
    try:
        report = deliver_due(engine, transport)
    except Exception:
        logging.getLogger(__name__).exception("delivery run failed")
        return
    print(f"{time.strftime('%Y-%m-%d %H:%M:%S')}: {report}.", flush=True)


def _positive_seconds(text: str) -> float:
    try:
        seconds = float(text)
    except ValueError:
        seconds = 0.0
    if not seconds > 0:
        raise argparse.ArgumentTypeError(f"must be seconds above zero, not {text!r}")
    return seconds


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="flo-comms",
        description="Flo Communications: manage the database behind the dashboard.",
    )
    parser.add_argument(
        "--database-url",
        help="database to use (default: FLO_COMMS_DATABASE_URL, else the "
        "embedded DuckDB file under data/)",
    )
    commands = parser.add_subparsers(dest="command", required=True)

    create = commands.add_parser(
        "create-member",
        help="create a member; the password is read from standard input",
    )
    create.add_argument("--name", required=True)
    create.add_argument("--email", required=True)
    create.add_argument("--role", required=True, choices=[r.value for r in Role])
    create.add_argument(
        "--time-zone", default="UTC", help="IANA name, e.g. Europe/Paris"
    )
    create.set_defaults(handler=create_member_command)

    demo = commands.add_parser(
        "demo", help="fill an empty database with generated demo data"
    )
    demo.set_defaults(handler=demo_command)

    scale = commands.add_parser(
        "scale",
        help="fill an empty database with generated data of a large team's size, "
        "in bulk (for performance work)",
    )
    scale.add_argument("--candidates", required=True, type=_at_least_one, metavar="N")
    scale.add_argument(
        "--communications", required=True, type=_at_least_one, metavar="M"
    )
    scale.add_argument(
        "--seed", type=int, default=2026, help="the same seed gives the same data"
    )
    scale.set_defaults(handler=scale_command)

    copy = commands.add_parser(
        "copy",
        help="copy this database into an empty one (e.g. DuckDB to PostgreSQL)",
    )
    copy.add_argument("--to", required=True, metavar="URL", help="the empty target")
    copy.set_defaults(handler=copy_command)

    stats = commands.add_parser("stats", help="print counts of what the database holds")
    stats.add_argument("--json", action="store_true", help="print JSON for scripts")
    stats.set_defaults(handler=stats_command)

    tidy = commands.add_parser(
        "tidy",
        help="sort the timelines' reading copy (DuckDB) and fold the analytics "
        "counts now; the dashboard does both at start-up when they need it",
    )
    tidy.set_defaults(handler=tidy_command)

    deliver = commands.add_parser(
        "deliver",
        help="send the queued emails that are due, through the configured transport",
    )
    deliver.add_argument(
        "--loop",
        type=_positive_seconds,
        metavar="SECONDS",
        help="keep running, once every SECONDS (PostgreSQL: a separate dispatcher)",
    )
    deliver.set_defaults(handler=deliver_command)

    dispatch = commands.add_parser(
        "dispatch",
        help="send the event reminders and follow-ups that are due, then deliver "
        "the queue (what the dashboard does in its own process)",
    )
    dispatch.add_argument(
        "--loop",
        type=_positive_seconds,
        metavar="SECONDS",
        help="keep running, once every SECONDS (PostgreSQL: a separate dispatcher; "
        "start dashboards with FLO_COMMS_DISPATCHER=off then)",
    )
    dispatch.set_defaults(handler=dispatch_command)
    return parser


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(
        level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s"
    )
    arguments = build_parser().parse_args(argv)
    try:
        return arguments.handler(arguments)
    except ValidationError as error:
        for field, message in error.errors.items():
            print(f"error: {field}: {message}", file=sys.stderr)
        return 2
    except ValueError as error:  # a bad URL or setting
        print(f"error: {error}", file=sys.stderr)
        return 2
    except (FloCommsError, RuntimeError, FileNotFoundError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())

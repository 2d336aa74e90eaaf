"""The ``tavolo`` command: ``serve`` runs the server, ``simulate`` rehearses a workshop with simulated laptops."""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, cast

from server.archive_cli import add_key_option, export_key
from server.stores import DEFAULT_STORE

if TYPE_CHECKING:
    from server.services import Settings

# Modules that add more top-level commands: each has ``add_parsers(subparsers)``, setting ``func`` on each.
MORE_COMMANDS = ("server.archive_cli",)


class LazySubcommands(argparse._SubParsersAction):  # type: ignore[type-arg]
    """Subcommands whose options are added only once the subcommand is chosen on the command line.

    Adding ``simulate``'s or ``plan``'s options imports the modules that define them (websockets, the planners);
    ``tavolo --help`` and ``tavolo plan groups`` should not pay for modules they never use (docs/benchmarks.md).
    """

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self._fill: dict[str, Callable[[argparse.ArgumentParser], None]] = {}

    def fill_later(self, name: str, fill: Callable[[argparse.ArgumentParser], None]) -> None:
        self._fill[name] = fill

    def fill_all(self) -> None:
        for name in list(self._fill):
            self._fill.pop(name)(self._name_parser_map[name])

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace,
                 values: str | Sequence[Any] | None, option_string: str | None = None) -> None:  # fmt: skip
        chosen = values[0] if isinstance(values, list) and values else None
        fill = self._fill.pop(chosen, None) if isinstance(chosen, str) else None
        if fill is not None:
            fill(self._name_parser_map[chosen])  # type: ignore[index]
        super().__call__(parser, namespace, values, option_string)


def _serve(args: argparse.Namespace) -> int:
    import dataclasses
    import json
    import os

    import uvicorn

    from server.app import SETTINGS_ENV, create_app
    from server.stores import store_env
    from server.transport import GuardedHttpProtocol, GuardedWebSocketProtocol

    settings = settings_from(args)
    shared = store_env(args.store)["PERSISTENCE_MODULE"] == "eventsourcing.postgres"
    if args.workers > 1 and not shared:
        print("tavolo serve: --workers above 1 needs a PostgreSQL store (postgresql://…) that the workers share; "
              "SQLite and memory:// serve from one process", file=sys.stderr)  # fmt: skip
        return 2
    if args.broker and not shared:
        print("tavolo serve: --broker connects processes that share a PostgreSQL store (postgresql://…)",
              file=sys.stderr)  # fmt: skip
        return 2
    # The writer thread holds the GIL while it runs a batch; hand it back to the event loop more often than the
    # default 5 ms so that acks and pushes do not queue behind a long batch (vote storms' p99).
    sys.setswitchinterval(0.001)
    shown = "localhost" if args.host in ("127.0.0.1", "::1") else args.host
    print(f"Tavolo on http://{shown}:{args.port}  (store: {args.store.split('@')[-1]}"
          f"{', broker: ' + args.broker.split('@')[-1] if args.broker else ''}"
          f"{f', {args.workers} workers' if args.workers > 1 else ''})", file=sys.stderr)  # fmt: skip
    # Header deadline, connection caps, `too_large` before 1009 (server/transport.py).
    options: dict[str, object] = {"http": GuardedHttpProtocol, "ws": GuardedWebSocketProtocol}
    if args.workers > 1:
        # uvicorn starts each worker from an import string: the settings travel in the environment.
        settings.store_url = args.store
        os.environ[SETTINGS_ENV] = json.dumps(dataclasses.asdict(settings))
        app: object = "server.app:create_app_from_env"
        options.update(factory=True, workers=args.workers)
    else:
        app = create_app(args.store, settings)
    if args.log_format == "json" or args.workers > 1:
        options["log_config"] = log_config(args.log_format, args.log_level)  # also applied in each worker
    uvicorn.run(
        app,  # type: ignore[arg-type]
        host=args.host,
        port=args.port,
        ws_per_message_deflate=False,  # doubles CPU and memory for small frames (shared/REALTIME-NOTES.md)
        # Frames over --max-message-bytes get a `too_large` error from the app, then 1009; frames so large that
        # reading them would cost memory are refused by uvicorn itself (1009, no error frame).
        ws_max_size=max(1024 * 1024, 4 * args.max_message_bytes),
        log_level=args.log_level,
        access_log=args.log_level == "debug",
        # SIGTERM: stop accepting, close websockets with 1012 (clients reconnect, to another process behind a load
        # balancer), let HTTP requests finish, then the lifespan commits what the writer still has queued.
        timeout_graceful_shutdown=5,
        # Whose X-Forwarded-For names the client (the per-address limits): the same --trusted-proxy list that the
        # connection caps exempt (server/addresses.py), so the two can never disagree.
        forwarded_allow_ips=list(settings.trusted_proxies),
        **options,  # type: ignore[arg-type]
    )
    return 0


def settings_from(args: argparse.Namespace) -> Settings:
    """The server's settings from ``tavolo serve``'s options."""
    from server import addresses
    from server.services import Settings

    return Settings(
        public_url=args.public_url,
        allowed_origins=tuple(args.allowed_origin or ()),
        max_participants=args.max_participants,
        broker_url=args.broker,
        organiser_key=args.organiser_key or None,
        export_key=(export_key(args) or b"").decode("utf-8") or None,
        max_message_bytes=args.max_message_bytes,
        commands_per_second=args.commands_per_second,
        command_burst=args.command_burst,
        workshop_commands_per_second=args.workshop_commands_per_second,
        workshop_command_burst=args.workshop_command_burst,
        address_joins_per_second=args.address_joins_per_second,
        address_join_burst=args.address_join_burst,
        address_lookups_per_second=args.address_lookups_per_second,
        address_lookup_burst=args.address_lookup_burst,
        heap_freeze=args.heap_freeze,
        frames_per_second=args.frames_per_second,
        frame_burst=args.frame_burst,
        outbox_frames=args.outbox_frames,
        outbox_bytes=args.outbox_bytes,
        hello_timeout=args.hello_timeout,
        handshake_timeout=args.handshake_timeout,
        connections_per_address=args.connections_per_address,
        max_connections=args.max_connections or 0,
        trusted_proxies=addresses.normalise(args.trusted_proxy) if args.trusted_proxy else addresses.LOOPBACK,
    )


def _simulate(args: argparse.Namespace) -> int:
    from server import simulate

    return simulate.run(args)


def _simulate_arguments(parser: argparse.ArgumentParser) -> None:
    from server import simulate

    simulate.add_arguments(parser)


def _plan_arguments(parser: argparse.ArgumentParser) -> None:
    from server import plan as planning

    planning.add_arguments(parser)


# tavolo serve's limits (docs/deployment.md#limits): option, type, default, what it limits.
LIMITS: tuple[tuple[str, type[int] | type[float], float, str], ...] = (
    ("--max-message-bytes", int, 64 * 1024, "largest websocket frame or HTTP body, in bytes"),
    ("--commands-per-second", float, 20.0, "commands per websocket and per HTTP token, sustained"),
    ("--command-burst", int, 40, "commands per websocket and per HTTP token, at once"),
    ("--workshop-commands-per-second", float, 1000.0, "commands per workshop, all its clients together, sustained"),
    ("--workshop-command-burst", int, 5000, "commands per workshop, at once"),
    ("--frames-per-second", float, 50.0, "websocket frames of any type per connection, sustained"),
    ("--frame-burst", int, 200, "websocket frames per connection, at once (another burst refused: closed, 1008)"),
    ("--outbox-frames", int, 1000, "replies waiting for a websocket that does not read (then closed, 4008)"),
    ("--outbox-bytes", int, 1024 * 1024, "... and their bytes"),
    ("--hello-timeout", float, 5.0, "seconds a websocket has to say hello"),
    ("--handshake-timeout", float, 5.0, "seconds a connection has to send a request's headers"),
    ("--connections-per-address", int, 1000, "connections from one address (3-6 per phone; not a --trusted-proxy)"),
    ("--address-joins-per-second", float, 5.0, "joins per client address, sustained (a venue shares one address)"),
    ("--address-join-burst", int, 100, "joins per client address, at once"),
    ("--address-lookups-per-second", float, 20.0, "join code look-ups per client address, sustained"),
    ("--address-lookup-burst", int, 200, "join code look-ups per client address, at once"),
)


def _shown(default: float) -> str:
    """A default as a person writes it: 1048576, not 1.04858e+06; 20, not 20.0."""
    return str(default) if isinstance(default, int) else format(default, "g")


def _positive(kind: type[int] | type[float]) -> Callable[[str], float]:
    def parse(text: str) -> float:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
        if not value > 0:
            raise argparse.ArgumentTypeError(f"{text!r} must be above 0")
        return value

    parse.__name__ = kind.__name__  # argparse names the type in its messages
    return parse


def _proxies(text: str) -> str:
    """A ``--trusted-proxy`` value (addresses, ranges or ``*``, comma-separated), checked."""
    from server import addresses

    try:
        addresses.normalise([text])
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an address, a CIDR range or *") from None
    return text


def build_parser(lazy: bool = False) -> argparse.ArgumentParser:
    """The ``tavolo`` parser; ``lazy``: add a subcommand's options (and import their modules) only once it is
    chosen, as ``main`` does."""
    parser = argparse.ArgumentParser(
        prog="tavolo", description="Tavolo: run workshops from one dashboard while participants join live."
    )
    sub = cast(LazySubcommands, parser.add_subparsers(dest="command", required=True, action=LazySubcommands))

    serve = sub.add_parser("serve", help="run the server", description="Run the Tavolo server.")
    serve.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to listen on (default 127.0.0.1; 0.0.0.0 to let phones on the room's Wi-Fi join)",
    )
    serve.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    serve.add_argument(
        "--store",
        default=DEFAULT_STORE,
        help=f"event store URL: sqlite:///FILE, memory:// or postgresql://… (default {DEFAULT_STORE})",
    )
    serve.add_argument(
        "--public-url", help="the address participants use (for join links and QR codes), e.g. http://192.168.1.20:8000"
    )
    serve.add_argument(
        "--allowed-origin",
        action="append",
        help="another Origin allowed on websockets and state-changing HTTP requests",
    )
    serve.add_argument("--max-participants", type=_positive(int), default=5000, help="per workshop (default 5000)")
    limits = serve.add_argument_group("limits", "what one client, one workshop and one message may send")
    for flag, kind, default, what in LIMITS:
        limits.add_argument(
            flag, type=_positive(kind), default=default, metavar="N", help=f"{what} (default {_shown(default)})"
        )
    limits.add_argument(
        "--max-connections",
        type=_positive(int),
        metavar="N",
        help="open connections in all (default: the descriptor limit, ulimit -n, less 64)",
    )
    limits.add_argument("--trusted-proxy", action="append", type=_proxies, metavar="ADDR|CIDR",
                        help="a reverse proxy (address or range, e.g. 172.28.0.0/16; repeat or comma-separate): "
                             "its X-Forwarded-For names the client the per-address limits count, and its own "
                             "connections are not capped by address (it caps its clients). Default 127.0.0.1 and "
                             "::1. '*' trusts every peer: UNSAFE behind a proxy that appends to X-Forwarded-For "
                             "(nginx's $proxy_add_x_forwarded_for): clients then choose their own address")  # fmt: skip
    # The old name of the same list (before it was one option): kept so existing command lines still work.
    serve.add_argument("--forwarded-allow-ips", action="append", type=_proxies, dest="trusted_proxy",
                       metavar="IPS", help="deprecated: the same as --trusted-proxy")  # fmt: skip
    serve.add_argument("--organiser-key", default=os.environ.get("TAVOLO_ORGANISER_KEY", ""),
                       help="only holders of this key create workshops (a public deployment); default: anyone who "
                            "reaches the server (a laptop in the room). Also TAVOLO_ORGANISER_KEY")  # fmt: skip
    add_key_option(serve, "sign the dashboard's event exports with this key")
    serve.add_argument(
        "--broker", help="redis://host:6379/0[?prefix=NAME]: several processes on one PostgreSQL store (hints only)"
    )
    serve.add_argument("--workers", type=int, default=1, help="uvicorn worker processes (PostgreSQL only; default 1)")
    serve.add_argument("--log-level", default="info", choices=["debug", "info", "warning", "error"])
    serve.add_argument("--log-format", default="text", choices=["text", "json"], help="json: one object per line")
    serve.add_argument("--no-heap-freeze", dest="heap_freeze", action="store_false",
                       help="let every full garbage collection walk the whole heap (default: freeze its survivors, "
                            "which keeps the pauses short with thousands of sockets open)")  # fmt: skip
    serve.set_defaults(func=_serve)

    sim = sub.add_parser(
        "simulate",
        help="simulated participants join over websockets",
        description="Simulated laptops join a workshop over real websockets (rehearsal, load).",
    )
    sub.fill_later("simulate", _simulate_arguments)
    sim.set_defaults(func=_simulate)

    sub.add_parser("plan", help="plan group splits, rotations and meeting schedules offline",
                   description="Plan offline with the planners the live workshop uses.")  # fmt: skip
    sub.fill_later("plan", _plan_arguments)
    for name in MORE_COMMANDS:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as e:
            if e.name != name:
                raise
            continue
        module.add_parsers(sub)
    if not lazy:
        sub.fill_all()
    return parser


def log_config(log_format: str, level: str) -> dict[str, object]:
    """A logging dictConfig for uvicorn (which applies it in every worker): everything through one root handler."""
    text = {"format": "%(levelname)s %(name)s: %(message)s"}
    formatter = {"()": "server.cli.JsonFormatter"} if log_format == "json" else text
    propagate = {"handlers": [], "propagate": True}
    return {
        "version": 1, "disable_existing_loggers": False, "formatters": {"default": formatter},
        "handlers": {"default": {"class": "logging.StreamHandler", "formatter": "default"}},
        "root": {"handlers": ["default"], "level": level.upper()},
        "loggers": {"uvicorn": propagate, "uvicorn.error": propagate, "uvicorn.access": propagate},
    }  # fmt: skip


class JsonFormatter(logging.Formatter):
    """Structured logs: one JSON object per line (time, level, logger, message, process, exception)."""

    converter = time.gmtime

    def format(self, record: logging.LogRecord) -> str:
        import json

        entry = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S") + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            "pid": record.process,
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def main(argv: list[str] | None = None) -> int:
    args = build_parser(lazy=True).parse_args(argv)
    level = getattr(args, "log_level", "info").upper()
    if getattr(args, "log_format", "text") == "json":
        handler = logging.StreamHandler()
        handler.setFormatter(JsonFormatter())
        logging.basicConfig(level=level, handlers=[handler])
    else:
        logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    try:
        code = int(args.func(args))
        sys.stdout.flush()
    except BrokenPipeError:
        # `tavolo plan … | head`: the reader left. Quietly stop, as `cat` would; point stdout at /dev/null so the
        # interpreter's final flush does not print a second traceback (the recipe in Python's signal docs).
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    return code


if __name__ == "__main__":
    raise SystemExit(main())

"""The ``tavolo`` command: ``serve`` runs the server, ``simulate`` rehearses a workshop with simulated laptops."""

from __future__ import annotations

import argparse
import importlib
import logging
import sys

from server.stores import DEFAULT_STORE

# Modules that add more top-level commands: each has ``add_parsers(subparsers)``, setting ``func`` on each.
MORE_COMMANDS = ("server.archive_cli",)


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from server.app import create_app
    from server.services import Settings

    settings = Settings(
        public_url=args.public_url,
        allowed_origins=tuple(args.allowed_origin or ()),
        max_participants=args.max_participants,
    )
    # The writer thread holds the GIL while it runs a batch; hand it back to the event loop more often than the
    # default 5 ms so that acks and pushes do not queue behind a long batch (vote storms' p99).
    sys.setswitchinterval(0.001)
    app = create_app(args.store, settings)
    shown = "localhost" if args.host in ("127.0.0.1", "::1") else args.host
    print(f"Tavolo on http://{shown}:{args.port}  (store: {args.store.split('@')[-1]})", file=sys.stderr)
    uvicorn.run(
        app,
        host=args.host,
        port=args.port,
        ws="websockets-sansio",
        ws_per_message_deflate=False,  # doubles CPU and memory for small frames (shared/REALTIME-NOTES.md)
        ws_max_size=1024 * 1024,  # frames over 64 KiB get a `too_large` error from the app, then 1009
        log_level=args.log_level,
        access_log=args.log_level == "debug",
        timeout_graceful_shutdown=5,
    )
    return 0


def _simulate(args: argparse.Namespace) -> int:
    from server import simulate

    return simulate.run(args)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tavolo", description="Tavolo: run workshops from one dashboard while participants join live."
    )
    sub = parser.add_subparsers(dest="command", required=True)

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
    serve.add_argument("--allowed-origin", action="append", help="another Origin allowed on websockets")
    serve.add_argument("--max-participants", type=int, default=5000, help="per workshop (default 5000)")
    serve.add_argument("--log-level", default="info", choices=["debug", "info", "warning", "error"])
    serve.set_defaults(func=_serve)

    sim = sub.add_parser(
        "simulate",
        help="simulated participants join over websockets",
        description="Simulated laptops join a workshop over real websockets (rehearsal, load).",
    )
    try:
        from server import simulate

        simulate.add_arguments(sim)
    except ImportError:  # pragma: no cover
        pass
    sim.set_defaults(func=_simulate)

    plan = sub.add_parser("plan", help="plan group splits, rotations and meeting schedules offline",
                          description="Plan offline with the planners the live workshop uses.")  # fmt: skip
    from server import plan as planning

    planning.add_arguments(plan)
    for name in MORE_COMMANDS:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as e:
            if e.name != name:
                raise
            continue
        module.add_parsers(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=getattr(args, "log_level", "info").upper(), format="%(levelname)s %(name)s: %(message)s")
    return int(args.func(args))


if __name__ == "__main__":
    raise SystemExit(main())

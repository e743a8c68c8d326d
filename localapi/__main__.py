"""Run the local Bot API standalone: ``python -m localapi --port 8081 --token 123456:LOCAL``.

Why: lets a ``binome run`` subprocess (or a person with a demo bot) talk to a local server,
driven through the ``/_sim/`` HTTP routes. Runs until Ctrl-C.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal

from .server import LocalBotApi


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m localapi", description=__doc__)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8081)
    p.add_argument("--token", default="123456:LOCAL-TEST-TOKEN")
    p.add_argument("--bot-username", default="binome_demo_bot")
    p.add_argument("--bot-first-name", default="Binôme")
    p.add_argument("--no-group-privacy", action="store_true", help="bot sees every group message")
    p.add_argument("--rate-limits", action="store_true", help="enable Telegram-like flood control")
    p.add_argument("-v", "--verbose", action="store_true")
    return p.parse_args(argv)


async def serve(args: argparse.Namespace) -> None:
    server = LocalBotApi(args.host, args.port, args.token, args.bot_username, args.bot_first_name,
                         group_privacy=not args.no_group_privacy)
    if args.rate_limits:
        server.set_rate_limits()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):  # event loops without signal support (Windows)
            loop.add_signal_handler(sig, stop.set)
    async with server:
        print(f"base_url={server.base_url}", flush=True)
        print(f"base_file_url={server.base_file_url}", flush=True)
        print(f"control={server.url}/_sim/", flush=True)
        await stop.wait()


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO)
    asyncio.run(serve(args))


if __name__ == "__main__":
    main()

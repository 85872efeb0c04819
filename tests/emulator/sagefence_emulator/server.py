"""The emulator server: moto's WSGI application with every addition installed, behind the
test-control middleware, on 127.0.0.1.

Usage: ``python tests/emulator/sagefence_moto.py --port N`` (or ``python -m sagefence_emulator``
from ``tests/emulator``) binds 127.0.0.1:N (``--port 0`` picks a free port), prints
``ready <port>`` once listening and serves until SIGTERM/SIGINT. ``--list`` prints README.md's
tables of the additions and the test controls instead.
"""

import argparse
import os
import signal
import sys
import threading
import time
from typing import Any

from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import BaseWSGIServer, make_server

from sagefence_emulator import registry
from sagefence_emulator.controls import SagefenceMiddleware


def build(host: str, port: int) -> BaseWSGIServer:
    """Install the additions and bind the server (``port`` 0: any free port); not yet serving."""
    registry.install()
    app = SagefenceMiddleware(DomainDispatcherApplication(create_backend_app))
    server = make_server(host, port, app, threaded=True, request_handler=MotoRequestHandler)
    os.environ.setdefault("MOTO_PORT", str(server.server_port))
    return server


def exit_with_parent(parent_pid: int) -> None:
    """End the server once the process that started it is gone (reparented),
    so a killed test run leaves no emulator behind."""
    while os.getppid() == parent_pid:
        time.sleep(1)
    os._exit(0)


def main(argv: list[str] | None = None) -> None:
    """Parse the arguments; serve on 127.0.0.1 until signalled, or print the tables."""
    parser = argparse.ArgumentParser(
        description="moto 5.2.5 server with the AWS behaviour sagefence depends on filled in"
    )
    parser.add_argument("--port", type=int, help="TCP port (0: any free port)")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument(
        "--list", action="store_true", help="print the tables of additions and test controls"
    )
    args = parser.parse_args(argv)
    if args.list:
        print(registry.additions_table())
        print(registry.controls_table(), end="")
        return
    if args.port is None:
        parser.error("--port is required")

    server = build(args.host, args.port)

    def stop(signum: int, frame: Any) -> None:
        sys.exit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    threading.Thread(target=exit_with_parent, args=(os.getppid(),), daemon=True).start()
    print(f"ready {server.server_port}", flush=True)
    server.serve_forever()

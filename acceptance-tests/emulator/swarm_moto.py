"""moto in server mode, with the extensions the acceptance tests need.

Run as `python swarm_moto.py -H 127.0.0.1 -p 0 --port-file FILE`, or as
`python swarm_moto.py --zygote SOCKET` (see `zygote`). Each
`ext_*.py` module beside this file fills a gap of moto's with an `apply()`
function, so that the tests exercise the provider's real requests; every
one is listed in ../README.md ("Where the emulator falls short").

Two differences from `python -m moto.server`, both against flaky runs:

- Port 0 lets the system pick a free port as the socket is bound; the port
  is then written to `--port-file` (and printed). Choosing a free port
  first and binding it later leaves a window in which a test running
  beside this one can draw the same port, and the two would share an
  emulator without noticing.
- Requests are served one at a time. moto's backends are not thread-safe
  (some iterate a list that another request removes from), and the
  provider does send independent calls concurrently.
"""

import argparse
import importlib.util
import os
import pathlib
import random
import select
import signal
import socket
import sys
import threading


def apply_extensions():
    here = pathlib.Path(__file__).resolve().parent
    for path in sorted(here.glob("ext_*.py")):
        spec = importlib.util.spec_from_file_location(path.stem, path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        module.apply()


def one_at_a_time(app):
    lock = threading.Lock()

    def serialized(environ, start_response):
        with lock:
            # The whole body is produced under the lock: WSGI bodies may be
            # generated lazily (and must be closed, as WSGI asks).
            body = app(environ, start_response)
            try:
                return list(body)
            finally:
                getattr(body, "close", lambda: None)()

    return serialized


def write_port(path, port):
    # Written whole, then renamed: a reader never sees half a number.
    partial = f"{path}.partial"
    with open(partial, "w") as f:
        f.write(f"{port}\n")
    os.replace(partial, path)


def make_server(host, port):
    """moto's WSGI app with the extensions, served one request at a time."""
    from moto.moto_server.werkzeug_app import (
        DomainDispatcherApplication,
        MotoRequestHandler,
        create_backend_app,
    )
    from werkzeug.serving import make_server as werkzeug_server

    # As `moto.server.main` builds it.
    app = DomainDispatcherApplication(create_backend_app)
    app.debug = True
    server = werkzeug_server(
        host,
        port,
        one_at_a_time(app),
        threaded=True,
        request_handler=MotoRequestHandler,
    )
    # moto builds some URLs (e.g. S3 presigned ones) from MOTO_PORT.
    os.environ["MOTO_PORT"] = str(server.port)
    return server


def zygote(socket_path):
    """Imports moto and the extensions once, then forks an emulator per
    request on the Unix socket `socket_path`.

    Importing moto takes seconds of CPU, and every acceptance test starts
    an emulator of its own; a fork starts one in milliseconds, with
    nothing from another test: the zygote itself serves no request, so
    every child starts from moto's untouched import-time state.

    A request is one line, the path of the child's log. The answer is one
    line, the port the child listens on (127.0.0.1). The child lives as
    long as the connection: when the test closes it (also when the test
    process dies), the child exits. The zygote exits when its standard
    input closes, i.e. when the test process that started it ends.
    """
    apply_extensions()
    from moto.moto_api._internal import mock_random

    # Imported before the fork, so that the children need not.
    import moto.moto_server.werkzeug_app  # noqa: F401
    import werkzeug.serving  # noqa: F401

    # A fork copies only the thread that calls it: the zygote must have
    # no other.
    assert threading.active_count() == 1, threading.enumerate()
    # Children are reaped by the system; the zygote never waits for one.
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(socket_path)
    listener.listen(64)
    print("ready", flush=True)
    # The test reads that one line only: anything printed later goes to
    # the zygote's log.
    os.dup2(2, 1)
    while True:
        readable, _, _ = select.select([listener, sys.stdin], [], [])
        if sys.stdin in readable and not os.read(sys.stdin.fileno(), 1024):
            listener.close()
            os.unlink(socket_path)
            return
        if listener in readable:
            conn, _ = listener.accept()
            if os.fork() == 0:
                listener.close()
                child(conn, mock_random)
            conn.close()


def child(conn, mock_random):
    """A forked emulator: serves until its connection closes."""
    try:
        log_path = conn.makefile("r").readline().strip()
        log = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        os.dup2(log, 1)
        os.dup2(log, 2)
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        # Forked children would all draw the same ids otherwise.
        random.seed()
        mock_random.seed()
        server = make_server("127.0.0.1", 0)
        conn.sendall(f"{server.port}\n".encode())
        print(f"swarm_moto (forked) listening on http://127.0.0.1:{server.port}", flush=True)

        def exit_when_closed():
            while conn.recv(1024):
                pass
            os._exit(0)

        threading.Thread(target=exit_when_closed, daemon=True).start()
        server.serve_forever()
    finally:
        os._exit(1)


def main(argv):
    parser = argparse.ArgumentParser()
    parser.add_argument("-H", "--host", default="127.0.0.1")
    parser.add_argument("-p", "--port", type=int, default=0)
    parser.add_argument("--port-file", help="where to write the port once listening")
    parser.add_argument("--zygote", metavar="SOCKET", help="fork an emulator per request on SOCKET")
    args = parser.parse_args(argv)
    if args.zygote:
        zygote(args.zygote)
        return

    apply_extensions()
    server = make_server(args.host, args.port)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    signal.signal(signal.SIGINT, lambda *_: sys.exit(0))
    if args.port_file:
        write_port(args.port_file, server.port)
    print(f"swarm_moto listening on http://{args.host}:{server.port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main(sys.argv[1:])

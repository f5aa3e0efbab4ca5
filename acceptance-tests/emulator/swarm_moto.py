"""moto in server mode, with the extensions the acceptance tests need.

Run as `python swarm_moto.py -H 127.0.0.1 -p 0 --port-file FILE`. Each
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
import signal
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


def main(argv):
    parser = argparse.ArgumentParser()
    parser.add_argument("-H", "--host", default="127.0.0.1")
    parser.add_argument("-p", "--port", type=int, default=0)
    parser.add_argument("--port-file", help="where to write the port once listening")
    args = parser.parse_args(argv)

    apply_extensions()

    from moto.moto_server.werkzeug_app import (
        DomainDispatcherApplication,
        MotoRequestHandler,
        create_backend_app,
    )
    from werkzeug.serving import make_server

    # As `moto.server.main` builds it.
    app = DomainDispatcherApplication(create_backend_app)
    app.debug = True
    server = make_server(
        args.host,
        args.port,
        one_at_a_time(app),
        threaded=True,
        request_handler=MotoRequestHandler,
    )
    # moto builds some URLs (e.g. S3 presigned ones) from MOTO_PORT.
    os.environ["MOTO_PORT"] = str(server.port)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    signal.signal(signal.SIGINT, lambda *_: sys.exit(0))
    if args.port_file:
        write_port(args.port_file, server.port)
    print(f"swarm_moto listening on http://{args.host}:{server.port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main(sys.argv[1:])

"""moto in server mode, with the extensions the acceptance tests need.

Run as `python swarm_moto.py -H 127.0.0.1 -p PORT` (the same arguments as
`python -m moto.server`). Each `ext_*.py` module beside this file fills a gap
of moto's with an `apply()` function, so that the tests exercise the
provider's real requests; every one is listed in ../README.md ("Where the
emulator falls short").
"""

import importlib.util
import pathlib
import sys

from moto.server import main


def apply_extensions():
    here = pathlib.Path(__file__).resolve().parent
    for path in sorted(here.glob("ext_*.py")):
        spec = importlib.util.spec_from_file_location(path.stem, path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        module.apply()


if __name__ == "__main__":
    apply_extensions()
    main(sys.argv[1:])

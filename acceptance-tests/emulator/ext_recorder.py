"""moto's request recorder, one recording per emulator.

moto records the requests it serves, in the order it serves them, once
`/moto-api/recorder/start-recording` is asked (and answers them at
`/moto-api/recorder/download-recording`). It appends them to one file,
`MOTO_RECORDER_FILEPATH` or `moto_recording` in the working directory,
chosen once, when moto is imported. Every emulator forked from the zygote
(`swarm_moto.py`) would therefore write the same file, in the directory
the tests run in, and the recordings of tests running side by side would
mix. Here each emulator process records to a file of its own in the
temporary directory, named after its process id, so that a test that
checks the order of the provider's requests (`src/recorder.rs`) reads
exactly its own emulator's. The tests reset the recording before they
start it: a process id can be reused, and the file is left behind for a
look, like the emulator's log.
"""

import os
import tempfile


def apply():
    from moto.moto_api._internal.recorder.models import Recorder

    def location(_recorder):
        return os.path.join(tempfile.gettempdir(), f"swarm-moto-{os.getpid()}.recording")

    # A property with a setter is a data descriptor: it wins over the
    # attribute the recorder's __init__ set at import time (in the zygote,
    # before any fork), and the setter makes a later assignment harmless.
    Recorder._location = property(location, lambda _recorder, _value: None)

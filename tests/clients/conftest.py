"""Fixtures: a real `vdb serve` on a fresh data directory and an ephemeral port."""

import os
import signal
import socket
import subprocess
import time

import pytest


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, data_dir, port, process):
        self.data_dir = data_dir
        self.port = port
        self.process = process
        self.database = os.path.basename(data_dir)

    def dsn(self, database=None):
        return f"host=127.0.0.1 port={self.port} dbname={database or self.database} user=tester"

    def url(self, driver, database=None):
        return f"postgresql+{driver}://tester@127.0.0.1:{self.port}/{database or self.database}"


def start(data_dir, *args):
    """Starts `vdb serve` on `data_dir`, with `args` (a --config FILE, say) after `serve`."""
    port = free_port()
    process = subprocess.Popen(
        [os.environ["VDB_BIN"], "--data-dir", str(data_dir), "serve", "--port", str(port), *args],
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.time() + 30
    while time.time() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"vdb serve exited: {process.stderr.read()}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return Server(str(data_dir), port, process)
        except OSError:
            time.sleep(0.05)
    process.kill()
    raise RuntimeError("vdb serve did not start listening")


def stop(server):
    server.process.send_signal(signal.SIGTERM)
    try:
        server.process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.process.kill()
        raise


@pytest.fixture
def server(tmp_path):
    srv = start(tmp_path / "db")
    yield srv
    stop(srv)
    assert srv.process.returncode == 0, "vdb serve shuts down cleanly on SIGTERM"

"""Shared pytest fixtures for the whole suite."""

import http.server
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tzinfer.fixtures import FixturePaths, ensure
from tzinfer.stack import StackError, pipeline
from tzinfer.stack.layout import QemuStack


@pytest.fixture(scope="session")
def fixtures() -> FixturePaths:
    """Reference models (mobilenetv2, squeezenet1_1, lenet5), sample inputs, ONNX Runtime reference
    outputs and the MNIST hold-out set. Built into .cache/fixtures/ on first use (about 20 s),
    verified against the manifest on every session."""
    return ensure()


@pytest.fixture(scope="session")
def qemu_stack(request: pytest.FixtureRequest) -> QemuStack:
    """The QEMU stack, built if needed (seconds when nothing changed), for the tests that boot it.
    When the target checks run on a board (tests/qemu --target-port), only their host side: the
    data files and references (pipeline.build_target_data), without building the stack."""
    on_board = bool(request.config.getoption("target_port", default=""))
    try:
        return pipeline.build_target_data() if on_board else pipeline.build()
    except StackError as err:
        pytest.fail(f"building the {'host side of the checks' if on_board else 'QEMU stack'} failed: {err}",
                    pytrace=False)


class _DirectoryHandler(http.server.SimpleHTTPRequestHandler):
    """Serves files; a directory that holds index.json answers a client that accepts JSON with it,
    as PyPI's simple index does (PEP 691)."""

    def send_head(self):  # noqa: ANN201 (the base class's file-or-None)
        index = Path(self.translate_path(self.path)) / "index.json"
        if self.path.endswith("/") and index.is_file() and "json" in self.headers.get("Accept", ""):
            body = index.read_bytes()
            self.send_response(200)
            self.send_header("Content-Type", "application/vnd.pypi.simple.v1+json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return None
        return super().send_head()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture()
def web_root(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    """An empty directory served over HTTP on 127.0.0.1, for offline download and mirror tests:
    (directory, base URL)."""
    www = tmp_path / "www"
    www.mkdir()

    def handler(*args: object, **kwargs: object) -> _DirectoryHandler:
        return _DirectoryHandler(*args, directory=str(www), **kwargs)

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield www, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()

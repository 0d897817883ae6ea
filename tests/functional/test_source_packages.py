"""A package without a wheel, fetched as data for an image build (sandbox/source_packages.py), from an
index on loopback that the test serves: the newest matching archive, checked against the index's
sha256, its needs read from its metadata files, and its setup.py never run on the host."""

from __future__ import annotations

import hashlib
import http.server
import io
import json
import tarfile
import threading
from pathlib import Path

import pytest

from pytest_agentbench.sandbox import source_packages
from pytest_agentbench.sandbox.base import BuildError

SETUP_PY = """import pathlib
pathlib.Path({marker!r}).write_text("setup.py ran on the host")
from setuptools import setup
setup(name="oldpkg", version="{version}", install_requires=["defusedxml"])
"""


def sdist(version: str, marker: Path) -> bytes:
    files = {
        f"oldpkg-{version}/PKG-INFO": "Metadata-Version: 1.1\nName: oldpkg\nVersion: " + version + "\n",
        f"oldpkg-{version}/oldpkg.egg-info/requires.txt": "defusedxml\n\n[:python_version < \"3\"]\nfutures\n\n[test]\npytest\n",
        f"oldpkg-{version}/setup.py": SETUP_PY.format(marker=str(marker), version=version),
    }
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, text in files.items():
            data = text.encode()
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


@pytest.fixture
def index(tmp_path, monkeypatch):
    """A PEP 691 index on 127.0.0.1 with oldpkg 1.0, 1.4.1 and a yanked 2.0, sources only."""
    marker = tmp_path / "setup-py-ran"
    archives = {v: sdist(v, marker) for v in ("1.0", "1.4.1", "2.0")}
    served = {"tampered": False}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            if self.path == "/simple/oldpkg/":
                files = [{"filename": f"oldpkg-{v}.tar.gz", "url": f"{base}/files/oldpkg-{v}.tar.gz",
                          "hashes": {"sha256": hashlib.sha256(data).hexdigest()}, "yanked": v == "2.0"}
                         for v, data in archives.items()]
                body, kind = json.dumps({"files": files}).encode(), source_packages.SIMPLE_JSON
            elif self.path.startswith("/files/oldpkg-"):
                body = archives[self.path.split("oldpkg-")[1].removesuffix(".tar.gz")]
                body, kind = (body + b"x" if served["tampered"] else body), "application/gzip"
            else:
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    base = f"http://127.0.0.1:{server.server_port}"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.setenv("PIP_INDEX_URL", f"{base}/simple")
    yield served, marker
    server.shutdown()


def test_the_newest_matching_archive_is_fetched_as_data(index, tmp_path):
    served, marker = index
    dest = tmp_path / "wheels"
    dest.mkdir()
    needs = source_packages.fetch_source("oldpkg", dest, "3.13", "x86_64")
    assert [p.name for p in dest.iterdir()] == ["oldpkg-1.4.1.tar.gz"]  # 2.0 is yanked
    # its unconditional dependency (not the Python 2 or test extras), then pip's default build requirements
    assert needs == ["defusedxml", *source_packages.DEFAULT_BUILD_REQUIRES]
    assert source_packages.fetch_source("oldpkg<1.4", dest, "3.13", "x86_64") == needs
    assert (dest / "oldpkg-1.0.tar.gz").is_file()
    assert not marker.exists()  # its setup.py never ran


def test_an_archive_that_is_not_the_one_listed_is_refused(index, tmp_path):
    served, marker = index
    served["tampered"] = True
    with pytest.raises(BuildError, match=r"oldpkg-1.4.1.tar.gz: its sha256 is not the one .* lists"):
        source_packages.fetch_source("oldpkg==1.4.1", tmp_path, "3.13", "x86_64")
    with pytest.raises(BuildError, match=r"no wheel and no source archive of 'oldpkg==3.0'"):
        source_packages.fetch_source("oldpkg==3.0", tmp_path, "3.13", "x86_64")
    assert not marker.exists()

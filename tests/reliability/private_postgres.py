"""A private PostgreSQL cluster that a fault test may stop and start without disturbing anyone else.

Built with the machine's own PostgreSQL binaries (initdb, pg_ctl) in a temporary folder, on its own
port, with trust authentication on loopback. PostgreSQL refuses to run as root, so as root the
cluster runs as the ``postgres`` system user.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.reliability.private_services import free_port


def _binaries() -> Path | None:
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), reverse=True)
    if candidates:
        return Path(candidates[0]).parent
    found = shutil.which("pg_ctl")
    return Path(found).parent if found else None


class PrivatePostgres:
    def __init__(self, workdir: Path) -> None:
        binaries = _binaries()
        if binaries is None:
            pytest.skip("PostgreSQL server binaries (pg_ctl, initdb) are not installed")
        self.bin: Path = binaries
        self.port = free_port()
        self.data = workdir / "pgdata"
        self.log = workdir / "postgres.log"
        self.as_root = os.geteuid() == 0

    def _run(self, *args: str) -> None:
        command = [str(self.bin / args[0]), *args[1:]]
        if self.as_root:
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, capture_output=True, timeout=120)

    def init(self) -> None:
        self.data.mkdir(parents=True)
        if self.as_root:
            shutil.chown(self.data.parent, "postgres")
            shutil.chown(self.data, "postgres")
            self.log.touch()
            shutil.chown(self.log, "postgres")
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync")

    def start(self) -> None:
        options = f"-p {self.port} -k {self.data} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", options, "-w", "start")

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")

    def url(self, database: str = "postgres") -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"


@pytest.fixture
def private_postgres(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrivatePostgres]:
    workdir = tmp_path_factory.mktemp("pg")
    if os.geteuid() == 0:
        # The postgres user must reach its folder through every folder pytest made above it (one more
        # under pytest-xdist: popen-gwN).
        top = Path(tempfile.gettempdir())
        for folder in [workdir, *workdir.parents]:
            if folder in (top, Path(folder.anchor)):
                break
            os.chmod(folder, 0o755)  # noqa: S103
    server = PrivatePostgres(workdir)
    server.init()
    server.start()
    yield server
    with contextlib.suppress(subprocess.CalledProcessError):  # already stopped by the test
        server.stop()

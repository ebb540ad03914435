"""A PostgreSQL server of a test's own, for what the shared one must not see: restarts,
password authentication. Never the shared server the rest of the suite uses."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from tests.smtp import free_port


class OwnPostgres:
    """A PostgreSQL cluster of this test's own, run as the `postgres` user."""

    def __init__(self, password: str | None = None) -> None:
        """With a `password`, the server asks for it (scram-sha-256); else it trusts."""
        self.folder = Path(tempfile.mkdtemp(prefix="treffpunkt-pg-"))
        self.port = free_port()
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/treffpunkt"
        self.password = password
        self._bin = Path(subprocess.check_output(["pg_config", "--bindir"], text=True).strip())
        self._as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if os.geteuid() == 0:
            shutil.chown(self.folder, "postgres", "postgres")

    def _run(self, tool: str, *args: str) -> None:
        subprocess.run(
            [*self._as_postgres, str(self._bin / tool), *args],
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def pg_ctl(self, *args: str) -> None:
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1"
        log = str(self.folder / "server.log")
        self._run("pg_ctl", "-D", str(self.folder / "data"), "-o", options, "-l", log, "-w", *args)

    def start(self) -> None:
        auth = ["-A", "trust"]
        if self.password is not None:
            password_file = self.folder / "password"
            password_file.write_text(self.password)
            if os.geteuid() == 0:
                shutil.chown(password_file, "postgres", "postgres")
            auth = ["-A", "scram-sha-256", f"--pwfile={password_file}"]
        self._run("initdb", *auth, "-U", "postgres", "-D", str(self.folder / "data"))
        self.pg_ctl("start")

    def restart(self) -> None:
        self.pg_ctl("restart", "-m", "fast")

    def drop(self) -> None:
        try:
            self.pg_ctl("stop", "-m", "immediate")
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)

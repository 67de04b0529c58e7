"""A real streaming replica for tests and benchmarks: a small PostgreSQL primary and a hot
standby of it (initdb + pg_basebackup -R, as in ../shared/TESTING.md), on free loopback ports
under one scratch directory, run as the postgres user (PostgreSQL refuses to run as root)."""

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path


def server_binaries() -> Path | None:
    for found in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if all((Path(found) / tool).exists() for tool in ("initdb", "pg_ctl", "pg_basebackup")):
            return Path(found)
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Cluster:
    """A primary and its hot standby under one scratch directory, run as the postgres user
    (PostgreSQL refuses to run as root)."""

    def __init__(self, binaries: Path):
        self.bin = binaries
        self.dir = Path(tempfile.mkdtemp(prefix="sb-replica-"))
        self.primary_port, self.replica_port = free_port(), free_port()
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres", "postgres")

    def run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        command = [*args]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        return subprocess.run(command, check=check, capture_output=True, text=True, timeout=120)

    def tool(self, name: str, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        return self.run(str(self.bin / name), *args, check=check)

    def start(self) -> None:
        primary, replica = self.dir / "primary", self.dir / "replica"
        self.tool("initdb", "-D", str(primary), "-A", "trust", "-U", "postgres")
        settings = (
            f"\nport = {self.primary_port}\nlisten_addresses = '127.0.0.1'\n"
            f"unix_socket_directories = '{self.dir}'\nwal_level = replica\n"
            "max_wal_senders = 5\nfsync = off\n"
        )
        self.run("sh", "-c", f'echo "{settings}" >> {primary}/postgresql.conf')
        self.run(
            "sh",
            "-c",
            f"echo 'host replication all 127.0.0.1/32 trust' >> {primary}/pg_hba.conf",
        )
        self.tool("pg_ctl", "-D", str(primary), "-l", f"{self.dir}/primary.log", "-w", "start")
        self.tool(
            "pg_basebackup",
            *("-h", "127.0.0.1", "-p", str(self.primary_port), "-U", "postgres"),
            *("-D", str(replica), "-R", "-X", "stream"),
        )
        self.run(
            "sed",
            "-i",
            f"s/^port = {self.primary_port}$/port = {self.replica_port}/",
            f"{replica}/postgresql.conf",
        )
        self.start_replica()
        self.sql(self.primary_port, "CREATE DATABASE switchboard")

    def start_replica(self) -> None:
        self.tool(
            "pg_ctl",
            "-D",
            str(self.dir / "replica"),
            "-l",
            f"{self.dir}/replica.log",
            "-w",
            "start",
        )

    def stop_replica(self) -> None:
        self.tool("pg_ctl", "-D", str(self.dir / "replica"), "-m", "fast", "-w", "stop")

    def stop(self) -> None:
        for name in ("replica", "primary"):
            self.tool("pg_ctl", "-D", str(self.dir / name), "-m", "fast", "stop", check=False)
        shutil.rmtree(self.dir, ignore_errors=True)

    def sql(self, port: int, statement: str, database: str = "postgres") -> str:
        return self.tool(
            "psql",
            *("-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "-d", database),
            *("-At", "-c", statement),
        ).stdout.strip()

    def url(self, port: int) -> str:
        return f"postgres://postgres@127.0.0.1:{port}/switchboard"

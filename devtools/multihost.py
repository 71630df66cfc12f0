"""Delegate as several hosts on this machine: Linux network namespaces on one bridge.

A database host (its own PostgreSQL cluster and Redis, listening only on its address), web
hosts (gunicorn, several workers each) and worker hosts (`flask worker`), each in a network
namespace of its own with one veth on a bridge in the root namespace, addresses in a private
/24. Every process sees only its own host's loopback: the database and Redis are reached over
the bridge, never through this machine's 127.0.0.1 services. Needs root and `ip netns`.

    sudo .venv/bin/python -m devtools.multihost up     # build, serve, print addresses; Ctrl-C ends
    sudo .venv/bin/python -m devtools.multihost down   # remove what a killed `up` left

`tests/multihost/` builds the same with this module and tests it. Names carry the pid of the
process that made them (`dlgmh-<pid>-web1`, links `dm<pid>...`, /tmp/dlgmh-<pid>-*), so a
leftover of a killed run is recognised (its pid is gone) and removed by the next.
"""

from __future__ import annotations

import argparse
import contextlib
import glob
import ipaddress
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PREFIX = "dlgmh"  # namespaces and temporary folders
LINK_PREFIX = "dm"  # bridge and veths (interface names have 15 characters at most)
SUBNETS = [f"10.231.{n}.0/24" for n in range(16, 240)]
PG_PORT = 5432
REDIS_PORT = 6379
WEB_PORT = 8000


class Unavailable(RuntimeError):
    """This machine cannot build hosts (not root, no `ip netns`, no PostgreSQL or Redis)."""


def _run(*argv: str, check: bool = True, timeout: float = 30) -> subprocess.CompletedProcess:
    return subprocess.run(argv, capture_output=True, text=True, check=check, timeout=timeout)


def wait_for(
    condition: Callable[[], object], timeout: float, what: str, *, every: float = 0.1
) -> object:
    """Poll until `condition()` is truthy (its value is returned); fail naming `what`."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(every)


def postgres_bin() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/postgres"), key=_version_key)
    if not found:
        raise Unavailable("no PostgreSQL server under /usr/lib/postgresql/*/bin")
    return Path(found[-1]).parent


def _version_key(path: str) -> int:
    match = re.search(r"/postgresql/(\d+)/", path)
    return int(match.group(1)) if match else 0


def check_available() -> None:
    if os.geteuid() != 0:
        raise Unavailable("building network namespaces needs root")
    if shutil.which("ip") is None:
        raise Unavailable("no `ip` command (iproute2)")
    probe = f"{PREFIX}-probe-{os.getpid()}"
    made = _run("ip", "netns", "add", probe, check=False)
    if made.returncode != 0:
        raise Unavailable(f"`ip netns add` fails: {made.stderr.strip()}")
    _run("ip", "netns", "del", probe, check=False)
    if shutil.which("redis-server") is None:
        raise Unavailable("no redis-server")
    postgres_bin()
    if shutil.which("runuser") is None:
        raise Unavailable("no runuser (util-linux) to run PostgreSQL as its own user")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_leftovers(*, everything: bool = False) -> list[str]:
    """Remove namespaces, links and folders of runs whose process is gone (`everything`: of
    every run). Returns what was removed."""
    removed: list[str] = []

    def stale(pid: str) -> bool:
        return everything or not _alive(int(pid))

    listed = _run("ip", "netns", "list", check=False).stdout.split("\n")
    for line in listed:
        name = line.split(" ")[0]
        match = re.fullmatch(rf"{PREFIX}-(\d+)-\w+", name)
        if match and stale(match.group(1)):
            _kill_namespace(name)
            _run("ip", "netns", "del", name, check=False)
            removed.append(f"netns {name}")
    for line in _run("ip", "-o", "link", "show", check=False).stdout.splitlines():
        match = re.match(rf"\d+: ({LINK_PREFIX}b?(\d+)[a-z0-9]*)[@:]", line)
        if match and stale(match.group(2)):
            _run("ip", "link", "del", match.group(1), check=False)
            removed.append(f"link {match.group(1)}")
    for folder in glob.glob(os.path.join(tempfile.gettempdir(), f"{PREFIX}-*")):
        match = re.match(rf"{PREFIX}-(\d+)-", os.path.basename(folder))
        if match and stale(match.group(1)):
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(f"folder {folder}")
    return removed


def _namespace_pids(netns: str) -> list[int]:
    out = _run("ip", "netns", "pids", netns, check=False).stdout
    return [int(pid) for pid in out.split()]


def _kill_namespace(netns: str, timeout: float = 10) -> None:
    """SIGKILL every process in the namespace, and wait until none is left."""
    deadline = time.monotonic() + timeout
    while pids := _namespace_pids(netns):
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        if time.monotonic() > deadline:
            raise TimeoutError(f"processes {pids} in {netns} survive SIGKILL")
        time.sleep(0.05)


def _free_subnet() -> ipaddress.IPv4Network:
    used = [
        ipaddress.ip_interface(word).ip
        for line in _run("ip", "-o", "-4", "addr", "show", check=False).stdout.splitlines()
        for word in line.split()
        if re.fullmatch(r"\d+\.\d+\.\d+\.\d+/\d+", word)
    ]
    start = os.getpid() % len(SUBNETS)
    for candidate in SUBNETS[start:] + SUBNETS[:start]:
        network = ipaddress.IPv4Network(candidate)
        if not any(address in network for address in used):
            return network
    raise Unavailable("no free /24 under 10.231.0.0/16 for the hosts")


@dataclass
class Process:
    name: str
    popen: subprocess.Popen
    log: Path

    def tail(self, lines: int = 40) -> str:
        try:
            text = self.log.read_text(errors="replace")
        except FileNotFoundError:
            return ""
        return "\n".join(text.splitlines()[-lines:])


@dataclass
class Host:
    name: str
    netns: str
    address: str
    veth: str  # its end on the bridge, in the root namespace
    processes: list[Process] = field(default_factory=list)

    def pids(self) -> list[int]:
        return _namespace_pids(self.netns)

    def kill(self) -> None:
        """The host is lost: every process on it dies at once (SIGKILL), nothing cleans up."""
        _kill_namespace(self.netns)


class Network:
    """A bridge in the root namespace and one namespace (host) per call of `host()`."""

    def __init__(self) -> None:
        self.tag = str(os.getpid())
        self.subnet = _free_subnet()
        self.gateway = str(self.subnet.network_address + 1)
        self.bridge = f"{LINK_PREFIX}b{self.tag}"
        self.dir = Path(tempfile.mkdtemp(prefix=f"{PREFIX}-{self.tag}-"))
        self.dir.chmod(0o755)  # PostgreSQL's own user reads its data folder below it
        self.hosts: dict[str, Host] = {}
        _run("ip", "link", "add", "name", self.bridge, "type", "bridge")
        _run("ip", "addr", "add", f"{self.gateway}/{self.subnet.prefixlen}", "dev", self.bridge)
        _run("ip", "link", "set", self.bridge, "up")

    def host(self, name: str, number: int) -> Host:
        netns = f"{PREFIX}-{self.tag}-{name}"
        address = str(self.subnet.network_address + number)
        veth = f"{LINK_PREFIX}{self.tag}h{number}"
        _run("ip", "netns", "add", netns)
        found = Host(name, netns, address, veth)
        self.hosts[name] = found  # from here on, close() removes it
        _run("ip", "link", "add", veth, "type", "veth", "peer", "name", "eth0", "netns", netns)
        _run("ip", "link", "set", veth, "master", self.bridge)
        _run("ip", "link", "set", veth, "up")
        inside = ("ip", "-n", netns)
        _run(*inside, "addr", "add", f"{address}/{self.subnet.prefixlen}", "dev", "eth0")
        _run(*inside, "link", "set", "eth0", "up")
        _run(*inside, "link", "set", "lo", "up")
        return found

    def spawn(
        self,
        host: Host,
        name: str,
        argv: list[str],
        env: dict[str, str],
        *,
        user: str | None = None,
        cwd: Path = ROOT,
    ) -> Process:
        """Start `argv` on `host` (in its namespace), output to a log file of its own. Each
        process leads a process group, so a signal reaches its children too."""
        command = ["ip", "netns", "exec", host.netns]
        if user:
            command += ["runuser", "-u", user, "--"]
        log = self.dir / f"{host.name}-{name}.log"
        # A home of its own, as a separate machine has: gunicorn's control socket lives there.
        home = self.dir / "home" / host.name
        home.mkdir(parents=True, exist_ok=True)
        env = {**env, "HOME": str(home)}
        with log.open("wb") as out:
            popen = subprocess.Popen(
                command + argv,
                cwd=cwd,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        process = Process(name, popen, log)
        host.processes.append(process)
        return process

    def close(self) -> None:
        """Everything goes, whatever state it is in: processes, namespaces, bridge, folder."""
        for host in self.hosts.values():
            for process in host.processes:
                if process.popen.poll() is None:
                    with contextlib.suppress(ProcessLookupError):
                        os.killpg(process.popen.pid, signal.SIGKILL)
            try:
                _kill_namespace(host.netns)
            finally:
                _run("ip", "netns", "del", host.netns, check=False)
                # Freed with its namespace, but the kernel may take its time (or keep it)
                _run("ip", "link", "del", host.veth, check=False)
            for process in host.processes:
                with contextlib.suppress(subprocess.TimeoutExpired):
                    process.popen.wait(timeout=10)
        _run("ip", "link", "del", self.bridge, check=False)
        shutil.rmtree(self.dir, ignore_errors=True)


@dataclass
class Deployment:
    """Delegate on its hosts: what a client needs to reach it."""

    network: Network
    database_url: str
    redis_url: str
    web: list[Host]
    workers: list[Host]
    db: Host
    env: dict[str, str]
    timings: dict[str, float] = field(default_factory=dict)

    def web_url(self, host: Host) -> str:
        return f"http://{host.address}:{WEB_PORT}"

    @property
    def web_urls(self) -> list[str]:
        return [self.web_url(host) for host in self.web]

    def logs(self, lines: int = 60) -> str:
        parts = []
        for host in self.network.hosts.values():
            for process in host.processes:
                parts.append(
                    f"--- {host.name} {process.name} ({process.log})\n{process.tail(lines)}"
                )
        return "\n".join(parts)


def app_env(
    database_url: str, redis_url: str, base_url: str, smtp: tuple[str, int] | None, **extra: str
) -> dict[str, str]:
    """What every process of every host gets (README, "In production"); nothing of the
    caller's environment but PATH, so no 127.0.0.1 service leaks in."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "LANG": "C.UTF-8",
        "PYTHONPATH": str(ROOT),
        "PYTHONUNBUFFERED": "1",
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "SECRET_KEY": secrets.token_hex(32),
        "BASE_URL": base_url,
        "LOG_LEVEL": "INFO",
    }
    if smtp is not None:
        env["SMTP_HOST"], env["SMTP_PORT"] = smtp[0], str(smtp[1])
    env.update(extra)
    return env


def start_database(network: Network, host: Host, timeout: float = 120) -> tuple[str, str]:
    """A PostgreSQL cluster of its own (initdb into the run's folder, run as `postgres`) and a
    Redis, both listening on the database host's address only, with passwords."""
    pg = postgres_bin()
    data = network.dir / "pgdata"
    sockets = network.dir / "pgsock"
    password = secrets.token_hex(12)
    pwfile = network.dir / "pgpass"
    pwfile.write_text(password + "\n")
    for path in (data, sockets):
        path.mkdir()
    shutil.chown(pwfile, "postgres")
    for path in (data, sockets):
        shutil.chown(path, "postgres", "postgres")
    _run(
        "runuser", "-u", "postgres", "--", str(pg / "initdb"), "-D", str(data), "-U", "postgres",
        f"--pwfile={pwfile}", "--auth=scram-sha-256", "--no-sync", "--no-instructions",
        timeout=timeout,
    )  # fmt: skip
    pwfile.unlink()
    with (data / "pg_hba.conf").open("a") as hba:
        hba.write(f"host all all {network.subnet} scram-sha-256\n")
    network.spawn(
        host,
        "postgres",
        [
            str(pg / "postgres"), "-D", str(data), "-p", str(PG_PORT), "-k", str(sockets),
            "-c", f"listen_addresses={host.address}", "-c", "fsync=off",
            "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
            "-c", "max_connections=200", "-c", "logging_collector=off",
        ],
        {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8"},
        user="postgres",
        cwd=network.dir,
    )  # fmt: skip
    redis_password = secrets.token_hex(12)
    network.spawn(
        host,
        "redis",
        [
            "redis-server", "--bind", host.address, "--port", str(REDIS_PORT), "--save", "",
            "--appendonly", "no", "--requirepass", redis_password, "--dir", str(network.dir),
        ],
        {"PATH": os.environ.get("PATH", "/usr/bin:/bin")},
        cwd=network.dir,
    )  # fmt: skip
    server = f"postgresql://postgres:{password}@{host.address}:{PG_PORT}"
    _wait_for_postgres(server + "/postgres", timeout)
    import psycopg

    with psycopg.connect(server + "/postgres", autocommit=True) as conn:
        conn.execute("CREATE DATABASE delegate")
    redis_url = f"redis://:{redis_password}@{host.address}:{REDIS_PORT}/0"
    _wait_for_redis(redis_url, timeout)
    return server + "/delegate", redis_url


def _wait_for_postgres(url: str, timeout: float) -> None:
    import psycopg

    def ready() -> bool:
        try:
            psycopg.connect(url, connect_timeout=2).close()
        except psycopg.OperationalError:
            return False
        return True

    wait_for(ready, timeout, "PostgreSQL on the database host", every=0.2)


def _wait_for_redis(url: str, timeout: float) -> None:
    from redis import Redis
    from redis.exceptions import ConnectionError as RedisDown

    def ready() -> bool:
        try:
            with Redis.from_url(url, socket_timeout=2) as conn:
                return bool(conn.ping())
        except RedisDown:
            return False

    wait_for(ready, timeout, "Redis on the database host", every=0.2)


def python(*args: str) -> list[str]:
    """This interpreter (the venv's) running a module, as the Procfile's commands do."""
    return [sys.executable, *args]


def migrate(network: Network, host: Host, env: dict[str, str], timeout: float = 300) -> None:
    """The one migration step of a deploy (the Procfile's `release`), once, from a web host."""
    process = network.spawn(
        host, "migrate", python("-m", "flask", "--app", "wsgi", "db", "upgrade"), env
    )
    try:
        code = process.popen.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        raise TimeoutError(f"migrations did not finish:\n{process.tail()}") from None
    if code != 0:
        raise RuntimeError(f"migrations failed ({code}):\n{process.tail()}")


def start_web(network: Network, host: Host, env: dict[str, str], workers: int) -> Process:
    """The Procfile's `web` on this host: gunicorn, `workers` sync workers, graceful stop."""
    return network.spawn(
        host,
        "gunicorn",
        python(
            "-m", "gunicorn", "wsgi:app", "--bind", f"0.0.0.0:{WEB_PORT}",
            "--workers", str(workers), "--graceful-timeout", "60", "--timeout", "120",
            "--access-logfile", "-", "--access-logformat", "%(h)s %(m)s %(U)s %(s)s %(p)s",
        ),
        env,
    )  # fmt: skip


def start_worker(network: Network, host: Host, env: dict[str, str]) -> Process:
    """The Procfile's `worker` on this host."""
    return network.spawn(host, "worker", python("-m", "flask", "--app", "wsgi", "worker"), env)


def wait_until_serving(url: str, process: Process, workers: int, timeout: float = 240) -> None:
    import requests

    def serving() -> bool:
        if process.popen.poll() is not None:
            raise RuntimeError(f"gunicorn exited on {url}:\n{process.tail()}")
        if process.log.read_text(errors="replace").count("Booting worker with pid") < workers:
            return False
        try:
            return requests.get(url + "/readyz", timeout=5).status_code == 200
        except requests.RequestException:
            return False

    wait_for(serving, timeout, f"gunicorn answering on {url}", every=0.2)


def wait_until_working(redis_url: str, processes: Iterable[Process], count: int) -> None:
    from redis import Redis
    from rq import Queue, Worker

    with Redis.from_url(redis_url) as conn:

        def working() -> bool:
            for process in processes:
                if process.popen.poll() is not None:
                    raise RuntimeError(f"a worker exited:\n{process.tail()}")
            return len(Worker.all(queue=Queue("delegate", connection=conn))) >= count

        wait_for(working, 240, f"{count} RQ workers registered", every=0.2)


def deploy(
    network: Network,
    *,
    smtp: tuple[str, int] | None,
    web_hosts: int = 2,
    web_workers: int = 3,
    worker_hosts: int = 2,
    settings: dict[str, str] | None = None,
) -> Deployment:
    """Build the hosts and start Delegate on them: database, one migration, web, workers."""
    timings: dict[str, float] = {}
    started = time.monotonic()
    db = network.host("db", 10)
    web = [network.host(f"web{n}", 10 + n) for n in range(1, web_hosts + 1)]
    workers = [network.host(f"worker{n}", 20 + n) for n in range(1, worker_hosts + 1)]
    timings["network"] = time.monotonic() - started
    database_url, redis_url = start_database(network, db)
    timings["database"] = time.monotonic() - started - sum(timings.values())
    base_url = f"http://{web[0].address}:{WEB_PORT}"
    env = app_env(database_url, redis_url, base_url, smtp, **(settings or {}))
    mark = time.monotonic()
    migrate(network, web[0], env)
    timings["migrate"] = time.monotonic() - mark
    mark = time.monotonic()
    servers = [start_web(network, host, env, web_workers) for host in web]
    runners = [start_worker(network, host, env) for host in workers]
    for host, server in zip(web, servers, strict=True):
        wait_until_serving(f"http://{host.address}:{WEB_PORT}", server, web_workers)
    wait_until_working(redis_url, runners, len(workers))
    timings["start"] = time.monotonic() - mark
    return Deployment(network, database_url, redis_url, web, workers, db, env, timings)


def _up(args: argparse.Namespace) -> int:
    check_available()
    removed = remove_leftovers()
    if removed:
        print("removed leftovers:", ", ".join(removed))
    network = Network()
    stop = False

    def request_stop(signum, frame) -> None:
        nonlocal stop
        stop = True

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    smtp_server = None
    try:
        from aiosmtpd.controller import Controller
        from aiosmtpd.handlers import Debugging

        port = 2525
        smtp_server = Controller(Debugging(sys.stdout), hostname=network.gateway, port=port)
        smtp_server.start()
        deployment = deploy(
            network,
            smtp=(network.gateway, port),
            web_hosts=args.web,
            web_workers=args.web_workers,
            worker_hosts=args.workers,
        )
        print(f"database and Redis on {deployment.db.address} (ports {PG_PORT}, {REDIS_PORT})")
        print(f"  DATABASE_URL={deployment.database_url}")
        print(f"  REDIS_URL={deployment.redis_url}")
        for url in deployment.web_urls:
            print(f"web: {url}")
        for host in deployment.workers:
            print(f"worker host: {host.address} ({host.netns})")
        print(f"SMTP sink (prints each message): {network.gateway}:{port}")
        print(f"logs in {network.dir}; a shell on a host: ip netns exec {deployment.db.netns} bash")
        print("Ctrl-C (or SIGTERM) takes everything down.")
        while not stop:
            time.sleep(0.5)
    finally:
        if smtp_server is not None:
            smtp_server.stop()
        network.close()
    return 0


def _down(args: argparse.Namespace) -> int:
    removed = remove_leftovers(everything=args.all)
    print("\n".join(removed) if removed else "nothing to remove")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devtools.multihost", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    up = commands.add_parser("up", help="build the hosts and serve until Ctrl-C")
    up.add_argument("--web", type=int, default=2, help="web hosts")
    up.add_argument("--web-workers", type=int, default=3, help="gunicorn workers per web host")
    up.add_argument("--workers", type=int, default=2, help="worker hosts")
    up.set_defaults(func=_up)
    down = commands.add_parser("down", help="remove leftovers of runs that were killed")
    down.add_argument("--all", action="store_true", help="of live runs too")
    down.set_defaults(func=_down)
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())

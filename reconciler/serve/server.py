"""Running the API server: in the foreground (``reconciler serve``) or on a background
thread (tests, the behave kubectl stage), bound to loopback unless told otherwise."""

from __future__ import annotations

import asyncio
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

from aiohttp import web

from reconciler.serve import tls
from reconciler.serve.app import build_app
from reconciler.serve.live import LiveCluster


@dataclass
class Options:
    address: str = "127.0.0.1"
    port: int = 6443
    token: str = ""
    use_tls: bool = False
    kubeconfig_out: Path | None = None
    files_dir: Path | None = None  # where the certificate goes (default: beside kubeconfig)


class Server:
    """The aiohttp site of one :class:`LiveCluster`, started and stopped by its owner."""

    def __init__(self, live: LiveCluster, options: Options) -> None:
        self.live = live
        self.options = options
        self.port = options.port
        self.certificate: tls.Certificate | None = None
        self._runner: web.AppRunner | None = None

    @property
    def scheme(self) -> str:
        return "https" if self.options.use_tls else "http"

    @property
    def url(self) -> str:
        host = self.options.address
        if ":" in host:
            host = f"[{host}]"
        return f"{self.scheme}://{host}:{self.port}"

    def kubeconfig_path(self) -> Path:
        if self.options.kubeconfig_out is not None:
            return self.options.kubeconfig_out
        return Path(tempfile.gettempdir()) / f"reconciler-{self.port}" / "kubeconfig"

    async def start(self) -> None:
        app = build_app(self.live, token=self.options.token)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        context = None
        if self.options.use_tls:
            self.certificate = tls.self_signed(self.options.address)
            directory = self.options.files_dir or self.kubeconfig_path().parent
            context = self.certificate.context(directory)
        site = web.TCPSite(self._runner, self.options.address, self.options.port,
                           ssl_context=context, reuse_address=True)
        await site.start()
        addresses = self._runner.addresses
        if addresses:
            self.port = int(addresses[0][1])
        self.write_kubeconfig()

    def write_kubeconfig(self) -> Path:
        path = self.kubeconfig_path()
        ca = self.certificate.cert_pem if self.certificate is not None else None
        tls.write_kubeconfig(path, tls.kubeconfig(self.url, token=self.options.token,
                                                  ca_pem=ca))
        return path

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None


class ServerThread:
    """A :class:`Server` on its own event loop thread: ``start()``, use ``url`` or
    ``kubeconfig``, ``stop()``. For tests and the behave kubectl stage."""

    def __init__(self, live: LiveCluster, options: Options | None = None) -> None:
        self.server = Server(live, options or Options(port=0))
        self.live = live
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._run, name="reconciler-serve", daemon=True)
        self._started = threading.Event()
        self._error: BaseException | None = None

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        try:
            self._loop.run_until_complete(self.server.start())
        except BaseException as exc:  # noqa: BLE001 - reported by start()
            self._error = exc
            self._started.set()
            return
        self._started.set()
        self._loop.run_forever()
        self._loop.run_until_complete(self.server.stop())
        self._loop.close()

    def start(self) -> ServerThread:
        self._thread.start()
        self._started.wait(30)
        if self._error is not None:
            raise self._error
        return self

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def kubeconfig(self) -> Path:
        return self.server.kubeconfig_path()

    def stop(self) -> None:
        if self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(30)
        self.live.close()

    def __enter__(self) -> ServerThread:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


async def run_forever(server: Server, announce: bool = True) -> None:
    await server.start()
    if announce:
        path = server.kubeconfig_path()
        print(f"reconciler: serving a simulated cluster at {server.url}", flush=True)
        print(f"reconciler: kubeconfig written to {path}", flush=True)
        print(f"\n    export KUBECONFIG={path}\n    kubectl get nodes\n", flush=True)
        if server.live.restored:
            print(f"reconciler: restored revision {server.live.cluster.store.revision} from "
                  f"{server.live.persistence.path if server.live.persistence else ''}",
                  flush=True)
        print("Press Ctrl-C to stop.", flush=True)
    try:
        while True:
            await asyncio.sleep(3600)
    finally:
        await server.stop()

"""``reconciler serve``: the command line of the API server.

    reconciler serve [--port 6443] [--address 127.0.0.1] [--nodes N] [-f PATH ...]
                     [--data-dir DIR] [--tls] [--token TOKEN] [--speed X]
                     [--kubeconfig-out FILE]

Exit codes: 0 after Ctrl-C (or SIGTERM), 2 bad input (a manifest, an option), 3 the
address could not be bound.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
from pathlib import Path
from typing import TextIO

EXIT_OK, EXIT_BAD_INPUT, EXIT_CANNOT_BIND = 0, 2, 3


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--port", type=int, default=6443,
                        help="port to listen on (default 6443; 0 picks a free one)")
    parser.add_argument("--address", default="127.0.0.1",
                        help="address to bind (default 127.0.0.1, loopback only)")
    parser.add_argument("--nodes", type=int, default=None,
                        help="nodes to add at start-up (default 3, or none when the -f "
                             "manifests hold Nodes or when restoring from --data-dir)")
    parser.add_argument("--node-cpu", default="4", help="cpu of each node")
    parser.add_argument("--node-memory", default="8Gi", help="memory of each node")
    parser.add_argument("-f", "--filename", action="append", default=[], metavar="PATH",
                        help="manifest file or directory to apply at start-up (repeatable)")
    parser.add_argument("--data-dir", metavar="DIR",
                        help="keep the cluster in DIR (SQLite) and restore it on restart")
    parser.add_argument("--tls", action="store_true",
                        help="serve HTTPS with a self-signed certificate made at start-up")
    parser.add_argument("--token", default="",
                        help="require this bearer token on every request (kubectl sends "
                             "tokens only over --tls)")
    parser.add_argument("--speed", type=float, default=1.0,
                        help="virtual seconds per wall-clock second (default 1)")
    parser.add_argument("--seed", type=int, default=None,
                        help="random seed of the simulation (default: random)")
    parser.add_argument("--kubeconfig-out", metavar="FILE",
                        help="where to write the kubeconfig (default: in DIR with "
                             "--data-dir, else in the temporary directory)")


def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from reconciler.api.errors import ReconcilerError
    from reconciler.harness.manifests import ManifestError, load
    from reconciler.serve.live import LiveCluster
    from reconciler.serve.server import Options, Server, run_forever

    if args.nodes is not None and args.nodes < 0:
        err.write("reconciler: --nodes must be >= 0\n")
        return EXIT_BAD_INPUT
    if args.speed < 0:
        err.write("reconciler: --speed must be >= 0\n")
        return EXIT_BAD_INPUT
    try:
        nodes = args.nodes
        if nodes is None:  # as `reconciler simulate`: 3, unless the manifests bring nodes
            has_nodes = any(m.obj.get("kind") == "Node"
                            for path in args.filename for m in load(path))
            nodes = 0 if has_nodes else 3
        live = LiveCluster(nodes=nodes,
                           node_cpu=args.node_cpu, node_memory=args.node_memory,
                           files=args.filename, data_dir=args.data_dir, speed=args.speed,
                           seed=args.seed)
    except (ManifestError, ReconcilerError) as exc:
        err.write(f"reconciler: {exc}\n")
        return EXIT_BAD_INPUT
    kubeconfig = Path(args.kubeconfig_out) if args.kubeconfig_out else (
        Path(args.data_dir) / "kubeconfig" if args.data_dir else None)
    server = Server(live, Options(address=args.address, port=args.port, token=args.token,
                                  use_tls=args.tls, kubeconfig_out=kubeconfig))

    async def main() -> None:
        loop = asyncio.get_running_loop()
        task = asyncio.current_task()
        assert task is not None
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, task.cancel)
        await run_forever(server)

    try:
        asyncio.run(main())
    except asyncio.CancelledError:
        pass
    except KeyboardInterrupt:
        pass
    except OSError as exc:
        err.write(f"reconciler: cannot serve on {args.address}:{args.port}: {exc.strerror}\n")
        return EXIT_CANNOT_BIND
    finally:
        live.close()
    out.write("reconciler: stopped\n")
    return EXIT_OK

"""Run the chat scaled out on this machine: N replicas behind nginx, until Ctrl-C.

    python -m deploy.local --replicas 2 --feedback-db postgresql://dystonia@127.0.0.1/feedback --port 8080

Starts ``dystonia chat`` on 127.0.0.1:7861, 7862, ... (``--first-port``), each with
``--trusted-proxy 127.0.0.1`` and the same feedback store, then nginx (no root needed) on
127.0.0.1:PORT with the config rendered from ``deploy/nginx.conf.template`` into
``--folder`` (default ``var/deploy``: config, logs, pid file). Open the printed address.
Ctrl-C stops nginx and then the replicas. ``--print-config`` only prints the nginx config
for those ports (to put in ``/etc/nginx/conf.d/`` on a server), and starts nothing.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import time
from pathlib import Path

from common.errors import DystoniaError
from deploy.cluster import Cluster
from deploy.nginx import Site, render_site

REPO = Path(__file__).resolve().parents[1]


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m deploy.local", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--replicas", type=int, default=2, help="chat processes (one per core is plenty)")
    parser.add_argument("--feedback-db", default=os.environ.get("DYSTONIA_FEEDBACK_DB"),
                        help="the store every replica shares: a postgresql:// URL (env DYSTONIA_FEEDBACK_DB)")
    parser.add_argument("--port", type=int, default=8080, help="where nginx listens on 127.0.0.1")
    parser.add_argument("--first-port", type=int, default=7861, help="the first replica's port; the others follow")
    parser.add_argument("--index", type=Path, default=Path(os.environ.get("DYSTONIA_INDEX", REPO / "var" / "index")))
    parser.add_argument("--rate-limit", type=int, default=30,
                        help="questions per client address per minute, in each replica and across them in nginx "
                             "(0: none, e.g. for a load test)")
    parser.add_argument("--concurrency", type=int, default=2, help="questions each replica answers at once")
    parser.add_argument("--folder", type=Path, default=REPO / "var" / "deploy", help="config, logs and pid file")
    parser.add_argument("--print-config", action="store_true", help="print the nginx config and start nothing")
    args = parser.parse_args(argv)
    if args.replicas < 1:
        parser.error("--replicas must be at least 1")
    if args.rate_limit < 0:
        parser.error("--rate-limit must be 0 or more")
    if not args.print_config and not args.feedback_db:
        parser.error("--feedback-db is required: the replicas share one store, e.g. postgresql://user@host/db")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    ports = [args.first_port + n for n in range(args.replicas)]
    if args.print_config:
        print(render_site(Site(tuple(f"127.0.0.1:{p}" for p in ports), listen=f"127.0.0.1:{args.port}",
                               rate_limit=args.rate_limit, access_log="/var/log/nginx/dystonia.log")))
        return 0
    cluster = None
    try:
        cluster = Cluster(args.index, args.feedback_db, args.folder, ports, args.port, rate_limit=args.rate_limit,
                          concurrency=args.concurrency)
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # `kill` stops the children too, via finally
        print(f"starting {args.replicas} replicas on ports {', '.join(map(str, ports))} (each loads the model) ...",
              flush=True)
        cluster.start()
        print(f"Dystonia chat behind nginx: open {cluster.url} (Ctrl+C stops everything; logs in {args.folder})",
              flush=True)
        reported: set[int] = set()
        while len(reported) < len(cluster.replicas):
            for replica in cluster.dead():
                if replica.port not in reported:
                    reported.add(replica.port)
                    print(f"warning: the replica on port {replica.port} stopped (its log: {replica.log}); "
                          "nginx sends its visitors to the others", file=sys.stderr, flush=True)
            time.sleep(1)
        print("error: every replica has stopped; stopping nginx", file=sys.stderr)
        return 1
    except DystoniaError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("stopping ...", file=sys.stderr)
        return 0
    finally:
        if cluster is not None:
            cluster.stop()


if __name__ == "__main__":
    sys.exit(main())

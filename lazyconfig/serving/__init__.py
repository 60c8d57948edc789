"""How the service meets the network: gunicorn's master with asyncio workers (uvicorn).

A connection costs the event loop a socket and a few kilobytes until its request is whole;
only then does the WSGI app (Flask) get one of the worker's threads. Slow or idle clients
therefore hold sockets, not threads (issue 15). docs/architecture.md says why this and not
gthread, gevent or a proxy in front.
"""

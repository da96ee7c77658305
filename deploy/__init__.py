"""Running the chat scaled out: several ``dystonia chat`` replicas behind nginx.

``nginx`` renders the config template and runs nginx without root; ``cluster`` starts the
replicas and nginx together (the local launcher, the proxy tests and the load test use it);
``local`` is the maintainer's command, ``python -m deploy.local``.
It sits above ``cli`` in the house: it may import ``chat`` and ``common``; nothing imports it
but the tests and the benchmarks.
"""

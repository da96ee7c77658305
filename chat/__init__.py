"""The web chat for patients and massage therapists: a thin Gradio adapter over ``assistant``.

Rooms: ``app`` (page layout and server start-up), ``handlers`` (what each event does),
``sessions`` (per-browser state in memory), ``html`` (replies and the library as escaped
HTML), ``transcript`` (the Markdown download), ``feedback`` (ratings in SQLite or
PostgreSQL), ``auth`` (logins), ``ratelimit``, ``settings``, ``process`` (start the chat as
a separate process, for tests, load tests and deployments).
"""

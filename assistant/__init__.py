"""Answer questions from the index: retrieve, route for safety, compose a cited answer.

Public API (kept small on purpose, see tests/test_public_api.py)::

    from assistant import Assistant, Reply, Citation
    assistant = Assistant.load("var/index")      # loads the model and index once
    reply = assistant.ask("what is focal dystonia?", history=[], audience="patient")

The web chat (``assistant.web``) and the CLI (``assistant.cli``) are thin adapters over this.
"""

from assistant.pipeline import Assistant
from assistant.reply import AUDIENCES, KINDS, Citation, Reply

__all__ = ["AUDIENCES", "KINDS", "Assistant", "Citation", "Reply"]

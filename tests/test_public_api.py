"""The public API is small on purpose; changing it should be a decision, not an accident."""

import assistant


def test_exported_names():
    assert assistant.__all__ == ["AUDIENCES", "KINDS", "Assistant", "Citation", "Reply"]
    assert assistant.KINDS == ("answer", "emergency", "personal_advice", "out_of_scope", "no_evidence", "invalid")
    assert assistant.AUDIENCES == ("patient", "therapist")

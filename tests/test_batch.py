"""Batch line parsing: any bytes in, a request or a one-line reason out, never an exception."""

from hypothesis import given, settings
from hypothesis import strategies as st

from cli.batch import invalid_record, parse_line
from tests.conftest import examples


def test_good_line():
    request, error = parse_line(b'{"id": 7, "question": "what is dystonia?", "audience": "therapist"}', 1)
    assert error is None and request["id"] == 7


def test_each_kind_of_bad_line_has_its_own_message():
    cases = {
        b"": "line 3 is empty",
        b"{oops": "line 3 is not valid JSON",
        b"[1, 2]": "line 3 must be a JSON object",
        b'{"question": null}': '"question" must be a string',
        b'{"question": "q", "audience": "doctor"}': '"audience" must be one of',
        b'{"question": "q", "history": [{"role": "system", "content": "x"}]}': '"history" must be a list',
        b'{"question": "q", "id": [1]}': '"id" must be a string or number',
        b"\xc3\x28": "line 3 is not valid UTF-8",
    }
    for raw, message in cases.items():
        _, error = parse_line(raw, 3)
        assert message in error, raw


def test_an_invalid_record_keeps_the_id_and_question_it_could_read():
    record = invalid_record({"id": "q9", "question": "hi", "audience": "x"}, "bad audience")
    assert (record["id"], record["question"], record["kind"], record["disclaimer"]) == ("q9", "hi", "invalid", None)


@settings(max_examples=examples(3000), deadline=None)
@given(st.binary(max_size=400) | st.text(max_size=300).map(lambda t: t.encode("utf-8", "surrogatepass")))
def test_fuzz_any_bytes_give_a_request_or_a_reason(raw):
    request, error = parse_line(raw, 1)
    assert (error is None) == (request is not None and isinstance(request.get("question"), str)
                               and error is None)
    record = invalid_record(request, error or "x")
    assert record["kind"] == "invalid"

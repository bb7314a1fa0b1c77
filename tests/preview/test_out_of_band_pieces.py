"""`out_of_band.pieces_of`: a withheld credential's placeholder, or a piece of its Private Use Area mark, in a string
(issue 17: the test for a Private Use Area character is one regular-expression search, not a loop in Python)."""

from __future__ import annotations

import pytest

from agentid.preview import out_of_band


@pytest.fixture
def marks(monkeypatch):
    """Two credential variables with marks at the edges of the Private Use Area (U+E000, U+F8FF)."""
    names = out_of_band.credential_variables()[:2]
    low, high = (chr(point) for point in out_of_band.PRIVATE_USE)
    fixed = {names[0]: (low * 3 + "\ue123") * 6, names[1]: ("\uf000" + high * 3) * 6}
    monkeypatch.setattr(out_of_band, "_MARKS", dict(fixed))
    return names, fixed


def test_a_piece_of_a_mark_is_found_at_either_edge_of_the_private_use_area(marks):
    (first, second), fixed = marks
    assert out_of_band.pieces_of(f"prefix {fixed[first][:3]} suffix") == [first]  # U+E000 three times
    assert out_of_band.pieces_of(f"x{fixed[second][1:4]}y") == [second]  # U+F8FF three times
    assert out_of_band.pieces_of(out_of_band.placeholder(first)) == [first]


def test_text_without_a_mark_piece_names_nothing(marks):
    (first, _second), fixed = marks
    assert out_of_band.pieces_of("arn:aws:iam::123456789012:role/agent " * 50) == []
    assert out_of_band.pieces_of("\udfff\uf900 outside the area") == []  # just below and above it
    assert out_of_band.pieces_of(fixed[first][:2]) == []  # shorter than PIECE
    assert out_of_band.pieces_of("\ue001\ue002\ue003") == []  # in the area, but no mark's piece


def test_in_stack_reports_the_input_holding_a_piece(marks):
    (first, _second), fixed = marks

    class Resource:
        type, name, source_file, source_line = "aws:lambda/function:Function", "f", None, 0
        inputs = {"environment": {"variables": {"K": f"v-{fixed[first][5:9]}"}}, "tags": {"a": "b"}}

    found = out_of_band.in_stack([Resource()], {"plain": "value"})
    assert [record["what"] for record in found] == [
        f"puts the value of {first} (withheld by the gate) into input environment.variables.K of "
        "aws:lambda/function:Function 'f'"]

import pytest
from stack import Stack


def test_peek_and_len():
    s = Stack()
    assert len(s) == 0
    s.push(1)
    s.push(2)
    assert s.peek() == 2
    assert len(s) == 2
    assert s.pop() == 2
    assert len(s) == 1


def test_peek_empty():
    with pytest.raises(IndexError, match="empty stack"):
        Stack().peek()

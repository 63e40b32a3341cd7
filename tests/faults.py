"""Fault injection for "killed halfway" tests: make the n-th call of a function raise."""

from __future__ import annotations


class Killed(Exception):
    """The process dies here (a power cut, an OOM kill, a worker timeout)."""


class Fault:
    """Replace ``target.name`` so that its ``n``-th call raises ``error``; ``calls`` counts them."""

    def __init__(self, monkeypatch, target, name: str, *, n: int, error: Exception | None = None):
        self.monkeypatch, self.target, self.name = monkeypatch, target, name
        self.original = getattr(target, name)
        self.calls = 0

        def failing(*args, **kwargs):
            self.calls += 1
            if self.calls == n:
                raise error if error is not None else Killed
            return self.original(*args, **kwargs)

        monkeypatch.setattr(target, name, failing)

    def restore(self) -> None:
        """The fault is gone: the next calls reach the real function."""
        self.monkeypatch.setattr(self.target, self.name, self.original)

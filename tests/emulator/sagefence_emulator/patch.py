"""One addition to moto: what it changes, after which AWS page, and how it is applied."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

Install = Callable[[], None]
"""Applies an addition to moto's classes (run once per process, before the server starts)."""


@dataclass(frozen=True)
class Addition:
    """One AWS operation whose moto behaviour the emulator changes or supplies."""

    service: str
    """The AWS service, as its API reference names it (``SageMaker``, ``EC2``, ...)."""
    operation: str
    """The API operation (``StopNotebookInstance``), or the behaviour for a non-API gap."""
    moto: str
    """What moto 5.2.5 does (``missing`` when it lacks the operation)."""
    change: str
    """What the emulator does instead, as the AWS page documents."""
    aws_doc: str
    """The AWS documentation page the change follows."""
    install: Install
    """Applies the change to moto."""


@dataclass(frozen=True)
class Reference:
    """One service's API reference, for the additions that follow an operation's page of it."""

    service: str
    """The AWS service, as its API reference names it."""
    page: str
    """The URL of an operation's page, ``{}`` standing for the operation."""

    def addition(self, operation: str, moto: str, change: str, install: Install) -> Addition:
        """The addition of ``operation`` (what moto does, what the emulator does instead, how it
        is applied), following the operation's page of this reference."""
        return Addition(self.service, operation, moto, change, self.page.format(operation), install)


def replace(owner: Any, attribute: str, function: Any) -> Install:
    """An install that sets ``owner.attribute`` to ``function``."""

    def install() -> None:
        setattr(owner, attribute, function)

    return install


def wrap(owner: Any, attribute: str, wrapper: Callable[[Any], Any]) -> Install:
    """An install that replaces ``owner.attribute`` with ``wrapper(original)``."""

    def install() -> None:
        setattr(owner, attribute, wrapper(getattr(owner, attribute)))

    return install


def each(*installs: Install) -> Install:
    """An install running several installs in order (a backend method and its wire handler)."""

    def install() -> None:
        for step in installs:
            step()

    return install

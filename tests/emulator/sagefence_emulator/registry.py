"""Every addition to moto, by AWS service, applied in one place at start-up; and the tables
README.md shows of them and of the test controls."""

from sagefence_emulator import ec2, events, iam, kms, s3, sagemaker, securityhub, sns
from sagefence_emulator.controls import CONTROLS
from sagefence_emulator.patch import Addition

ADDITIONS: tuple[Addition, ...] = (
    *sagemaker.ADDITIONS,
    *ec2.ADDITIONS,
    *kms.ADDITIONS,
    *s3.ADDITIONS,
    *iam.ADDITIONS,
    *securityhub.ADDITIONS,
    *events.ADDITIONS,
    *sns.ADDITIONS,
)
"""What the emulator adds to moto 5.2.5, one entry per AWS operation."""

_installed: list[Addition] = []


def install() -> None:
    """Apply every addition to moto's classes, once per process (later calls do nothing)."""
    if _installed:
        return
    for addition in ADDITIONS:
        addition.install()
        _installed.append(addition)


def cell(text: str) -> str:
    """Text fit for a Markdown table cell."""
    return text.replace("|", "\\|")


def additions_table() -> str:
    """The Markdown table of every addition, as README.md shows it."""
    lines = [
        "| service | operation | moto 5.2.5 | with the emulator | AWS reference |",
        "| --- | --- | --- | --- | --- |",
    ]
    for a in ADDITIONS:
        operation = a.operation if "`" in a.operation else f"`{a.operation}`"
        lines.append(
            f"| {a.service} | {cell(operation)} | {cell(a.moto)} | {cell(a.change)} "
            f"| [{page_name(a.aws_doc)}]({a.aws_doc}) |"
        )
    return "\n".join(lines) + "\n"


def page_name(url: str) -> str:
    """A short label for an AWS documentation URL (its page name)."""
    page = url.rsplit("/", 1)[-1].removeprefix("API_")
    return page.replace(".html", "").replace("#", " #")


def controls_table() -> str:
    """The Markdown table of the test controls, as README.md shows it."""
    lines = ["| request | effect |", "| --- | --- |"]
    lines += [f"| {cell(c.request)} | {cell(c.effect)} |" for c in CONTROLS]
    return "\n".join(lines) + "\n"

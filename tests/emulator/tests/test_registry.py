"""The registry names every addition once, with its AWS page, and README.md shows it as is."""

import re
from pathlib import Path

from sagefence_emulator import registry, server

README = Path(__file__).resolve().parents[1] / "README.md"


def between(text: str, name: str) -> str:
    """The part of README.md between ``<!-- <name>:begin -->`` and ``<!-- <name>:end -->``."""
    match = re.search(rf"<!-- {name}:begin -->\n(.*?)<!-- {name}:end -->", text, re.S)
    assert match, f"README.md has no {name}:begin/{name}:end markers"
    return match.group(1)


def test_each_addition_is_named_once_with_its_aws_page():
    seen = set()
    for addition in registry.ADDITIONS:
        key = (addition.service, addition.operation)
        assert key not in seen, f"{key} is registered twice"
        seen.add(key)
        assert addition.aws_doc.startswith("https://docs.aws.amazon.com/"), addition
        assert addition.moto and addition.change, addition
    assert len(seen) >= 25


def test_readme_tables_are_the_registry_tables():
    text = README.read_text()
    hint = "regenerate with `python tests/emulator/sagefence_moto.py --list`"
    assert between(text, "additions") == registry.additions_table(), hint
    assert between(text, "controls") == registry.controls_table(), hint


def test_install_applies_each_addition_once(endpoint):
    from moto.kms.models import KmsBackend

    enable_key = KmsBackend.enable_key
    registry.install()
    server.build("127.0.0.1", 0).server_close()
    assert KmsBackend.enable_key is enable_key

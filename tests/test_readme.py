"""Rules that keep the README true: two set-up commands, and CI runs the test one word for word."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def setup_commands() -> list[str]:
    text = (ROOT / "README.md").read_text()
    block = re.search(r"<!-- setup -->\s*```bash\n(.*?)```", text, re.S)
    assert block, "README.md must hold the set-up commands in a ```bash block after <!-- setup -->"
    return [line for line in block.group(1).splitlines() if line.strip() and not line.startswith("#")]


def test_readme_has_exactly_two_setup_commands_both_pinning_cpu_torch_first():
    commands = setup_commands()
    assert len(commands) == 2
    assert all(c.startswith("pip install torch==2.13.0 && ") for c in commands)


def test_ci_runs_the_readme_test_command_word_for_word():
    ci_lines = (ROOT / ".ci" / "run").read_text().splitlines()
    assert setup_commands()[1] in ci_lines


def test_every_local_link_and_image_in_the_readme_exists():
    text = (ROOT / "README.md").read_text()
    targets = [t for t in re.findall(r"\]\(([^)#\s]+)", text) if "://" not in t]
    assert targets
    missing = [t for t in targets if not (ROOT / t).exists()]
    assert not missing


def test_every_molvae_command_the_readme_shows_exists():
    from typer.main import get_command

    from molvae.cli import app

    root = get_command(app)
    text = (ROOT / "README.md").read_text()
    code = re.findall(r"`([^`\n]+)`", text) + [
        line for block in re.findall(r"```bash\n(.*?)```", text, re.S) for line in block.splitlines()]
    shown = [m.groups() for c in code for m in re.finditer(r"(?:^|&& )molvae ([a-z]+)(?: ([a-z][a-z-]*))?", c)]
    assert len(shown) > 5
    for first, second in shown:
        assert first in root.commands, f"README shows `molvae {first}`, which does not exist"
        group = root.commands[first]
        if hasattr(group, "commands"):
            assert second in group.commands, f"README shows `molvae {first} {second}`"

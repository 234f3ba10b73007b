"""The repository documents itself: what it points to is in it, and every setting it reads is documented."""

import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
TEXT_SUFFIXES = {".py", ".md", ".txt", ".toml", ".yml", ".yaml", ".html", ".cfg", ".mjs", ".scss", ".lua", ""}


def tracked_text_files() -> dict[str, str]:
    listed = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    files = {}
    for name in listed.splitlines():
        path = ROOT / name
        if path.suffix in TEXT_SUFFIXES and path.is_file() and name != "package-lock.json":
            files[name] = path.read_text(encoding="utf-8", errors="replace")
    return files


@pytest.fixture(scope="module")
def files():
    return tracked_text_files()


def test_every_file_in_docs_that_is_named_somewhere_exists(files):
    missing = set()
    for name, text in files.items():
        for mentioned in re.findall(r"\bdocs/[\w/.-]*\w", text):
            if mentioned.startswith("docs/decisions/") and re.fullmatch(r"docs/decisions/\d{4}", mentioned):
                if not list((DOCS / "decisions").glob(f"{mentioned[-4:]}-*.md")):
                    missing.add((name, mentioned))
            elif not (ROOT / mentioned).exists():
                missing.add((name, mentioned))
    assert missing == set()


def test_nothing_points_outside_the_repository(files):
    outside = re.compile(r"\.\./shared|/work/|\bmachines\.md|\bpractice\.md|(?<![/\w])(?:interfaces|domain)\.md")
    found = set()
    for name, text in files.items():
        if name == "tests/test_documentation.py":  # the patterns themselves
            continue
        for match in outside.finditer(text):
            in_docs_folder = name.startswith("docs/") and match.group(0) in ("interfaces.md", "domain.md")
            if not in_docs_folder:
                found.add((name, match.group(0)))
    assert found == set()


def test_every_environment_variable_the_product_reads_is_in_the_configuration_page():
    read = set()
    for source in ("careleavers/settings.py", "gunicorn.conf.py"):
        text = (ROOT / source).read_text(encoding="utf-8")
        read |= set(re.findall(r"""env\.\w+\(\s*["']([A-Z_]+)["']""", text))
        read |= set(re.findall(r"""os\.environ\.get\(\s*["']([A-Z_]+)["']""", text))
    assert {"DATABASE_URL", "REDIS_URL", "SECRET_KEY"} <= read  # the patterns still find what the settings read
    documented = set(re.findall(r"^\| `([A-Z_]+)` \|", (DOCS / "configuration.md").read_text(), re.M))
    assert read - documented == set()

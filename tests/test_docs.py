"""The repository stands alone: nothing points outside it, links resolve, contract citations
name sections that exist, and the Helpdesk log ships with its attribution. No dbt here."""

from __future__ import annotations

import gzip
import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CONTRACT = ROOT / "docs" / "contract.md"

# A path into the machine the repository was written on, or to its sibling `shared/` folder.
OUTSIDE = re.compile(r"\.\./shared\b|/work/|\bshared/(datasets|design|hooks)\b")
CITATION = re.compile(r"contract(?:\.md)?(?:'s)?\s*(?:\(?section\s+|§)(\d+(?:\.\d+)*)|contract\s+(\d+(?:\.\d+)*)\b")
HEADING = re.compile(r"^#{1,6}\s+(.*?)\s*$")
SECTION = re.compile(r"^#{2,4}\s+(\d+(?:\.\d+)*)\.?\s")
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")


def _text_files() -> list[Path]:
    """Every file git tracks or would track (ignored build output left out), text only."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    files = []
    for name in listed:
        path = ROOT / name
        if not path.is_file():
            continue
        head = path.read_bytes()[:4096]
        if b"\0" in head or path.suffix == ".gz":
            continue
        files.append(path)
    return files


def _read(path: Path) -> str:
    return path.read_text(encoding="utf-8", errors="replace")


def _slug(heading: str) -> str:
    """The anchor GitHub gives a heading: lowercase, punctuation dropped, spaces to hyphens."""
    text = heading.strip().lower().replace("`", "")
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def _anchors(path: Path) -> set[str]:
    return {_slug(match.group(1)) for line in _read(path).splitlines() if (match := HEADING.match(line))}


def test_nothing_points_outside_the_repository() -> None:
    found = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for path in _text_files()
        if path.name != "test_docs.py"
        for number, line in enumerate(_read(path).splitlines(), start=1)
        if OUTSIDE.search(line)
    ]
    assert found == [], "paths outside the repository (a clone does not have them):\n" + "\n".join(found)


def test_contract_citations_name_existing_sections() -> None:
    sections = {match.group(1) for line in _read(CONTRACT).splitlines() if (match := SECTION.match(line))}
    assert {"1", "1.3", "2", "3.1", "3.2.1", "3.2.6", "3.5", "4.1", "5"} <= sections
    wrong = []
    cited = 0
    for path in _text_files():
        for number, line in enumerate(_read(path).splitlines(), start=1):
            for match in CITATION.finditer(line):
                cited += 1
                section = match.group(1) or match.group(2)
                if section not in sections:
                    wrong.append(
                        f"{path.relative_to(ROOT)}:{number}: cites contract §{section}, which docs/contract.md lacks"
                    )
    assert cited > 20  # the pattern still finds the citations
    assert wrong == [], "\n".join(wrong)


def test_markdown_links_resolve_inside_the_repository() -> None:
    broken = []
    for path in _text_files():
        if path.suffix != ".md":
            continue
        for number, line in enumerate(_read(path).splitlines(), start=1):
            for target in LINK.findall(line):
                if re.match(r"[a-z]+:", target):
                    continue  # https:, mailto:
                file_part, _, anchor = target.partition("#")
                resolved = (path.parent / file_part).resolve() if file_part else path
                where = f"{path.relative_to(ROOT)}:{number}: {target}"
                if not resolved.is_relative_to(ROOT) or not resolved.exists():
                    broken.append(f"{where} (no such file in the repository)")
                elif anchor and resolved.suffix == ".md" and anchor not in _anchors(resolved):
                    broken.append(f"{where} (no heading with that anchor)")
    assert broken == [], "\n".join(broken)


def test_helpdesk_log_ships_with_its_attribution() -> None:
    log = ROOT / "examples" / "helpdesk" / "data" / "helpdesk.csv.gz"
    with gzip.open(log, "rt", encoding="utf-8") as handle:
        header = handle.readline().strip()
        rows = sum(1 for _ in handle)
    assert header == "case:concept:name,concept:name,lifecycle:transition,org:resource,time:timestamp"
    assert rows == 21_348
    attribution = _read(log.parent / "ATTRIBUTION.md")
    for needed in ("Verenich", "10.17632/39bp3vv62t.1", "CC BY 4.0", "creativecommons.org/licenses/by/4.0", "Changes"):
        assert needed in attribution, (
            f"ATTRIBUTION.md must name {needed!r} (CC BY 4.0 asks for credit, licence, changes)"
        )

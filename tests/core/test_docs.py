"""The documentation: its error table is the catalogue's, and every relative link in it leads somewhere."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.error_table import markdown_table

ROOT = Path(__file__).parents[2]
README = ROOT / "README.md"
ERRORS_PAGE = ROOT / "docs" / "errors.md"  # the page holding the generated table (scripts/sync-docs writes it)


def documentation() -> list[Path]:
    return [README, *sorted((ROOT / "docs").glob("*.md"))]


def test_the_error_table_matches_the_catalogue() -> None:
    text = ERRORS_PAGE.read_text()
    table = text.split("<!-- errors:begin", 1)[1].split("-->", 1)[1].split("<!-- errors:end -->", 1)[0]
    assert table.strip() == markdown_table()


# --- links ------------------------------------------------------------------------------------

FENCE = re.compile(r"^ {0,3}(```|~~~)")
CODE_SPAN = re.compile(r"(`+)(?:(?!\1).)+?\1")
# [text](target) and ![alt](target), an optional "title", one level of parentheses in the target
LINK = re.compile(r"\]\(\s*<?((?:[^()\s<>]|\([^()\s]*\))+)>?(?:\s+\"[^\"]*\")?\s*\)")
HREF = re.compile(r"<a\s[^>]*\bhref=\"([^\"]+)\"", re.IGNORECASE)
ANCHOR = re.compile(r"<a\s[^>]*\b(?:id|name)=\"([^\"]+)\"", re.IGNORECASE)
HEADING = re.compile(r"^ {0,3}#{1,6}\s+(.*?)(?:\s+#+)?\s*$")
SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")
LINE_ANCHOR = re.compile(r"^L\d+(-L\d+)?$")  # GitHub's anchors into a source file


def prose_lines(text: str) -> list[str]:
    """The lines outside fenced code blocks, with inline code spans blanked."""
    lines, fence = [], ""
    for line in text.splitlines():
        opening = FENCE.match(line)
        if fence:
            if opening and opening.group(1) == fence:
                fence = ""
        elif opening:
            fence = opening.group(1)
        else:
            lines.append(CODE_SPAN.sub(lambda span: " " * len(span.group()), line))
    return lines


def slug(heading: str) -> str:
    """GitHub's anchor of a heading: its text lower-cased, spaces to '-', punctuation but '-' and '_' dropped."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # a link reads as its text
    text = re.sub(r"<[^>]+>", "", text).replace("`", "").lower()
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def anchors(path: Path) -> set[str]:
    """The anchors a page has: each heading's (a repeated one gets -1, -2, …, as GitHub numbers them)
    and each <a id=…> or <a name=…>. Headings inside code blocks are no headings."""
    found: set[str] = set()
    seen: dict[str, int] = {}
    for line in prose_lines(path.read_text()):
        found.update(ANCHOR.findall(line))
        heading = HEADING.match(line)
        if heading:
            base = slug(heading.group(1))
            count = seen.get(base, 0)
            seen[base] = count + 1
            found.add(f"{base}-{count}" if count else base)
    return found


def relative_links(path: Path) -> list[str]:
    """Every link of a page, outside code, that is not a URL with a scheme (https:, mailto:)."""
    targets = []
    for line in prose_lines(path.read_text()):
        targets += [*LINK.findall(line), *HREF.findall(line)]
    return [target for target in targets if not SCHEME.match(target)]


def broken_links(pages: list[Path], root: Path = ROOT) -> list[str]:
    """``page: target (why)`` for each relative link that leads to no file, or to no anchor of its file."""
    broken = []
    for page in pages:
        for target in relative_links(page):
            where, _, fragment = target.partition("#")
            file = (page.parent / where).resolve() if where else page
            name = f"{page.relative_to(root)}: {target}"
            if not file.is_relative_to(root.resolve()) or not file.exists():
                broken.append(f"{name} (no such file)")
            elif fragment and file.is_dir():
                broken.append(f"{name} (an anchor into a folder)")
            elif fragment and file.suffix == ".md" and fragment not in anchors(file):
                broken.append(f"{name} (no such heading or <a id>)")
            elif fragment and file.suffix != ".md" and not LINE_ANCHOR.match(fragment):
                broken.append(f"{name} (only line anchors, #L12, lead into a source file)")
    return broken


def test_every_relative_link_leads_to_a_file_and_heading() -> None:
    assert broken_links(documentation()) == []


def test_the_readme_links_every_page_of_docs() -> None:
    linked = {(README.parent / target.partition("#")[0]).resolve() for target in relative_links(README)}
    assert [page.name for page in documentation()[1:] if page.resolve() not in linked] == []


@pytest.mark.parametrize(
    "heading, anchor",
    [
        ("Behaviour, point by point", "behaviour-point-by-point"),
        ("`UpdateEndUserSubscriptions`: the push", "updateendusersubscriptions-the-push"),
        ("Sandbox control plane", "sandbox-control-plane"),
        ("A [linked](https://example.com) title", "a-linked-title"),
        ("snake_case and -dashes- stay", "snake_case-and--dashes--stay"),
        ("Performance & scale (2026)", "performance--scale-2026"),
    ],
)
def test_anchors_follow_githubs_rule(heading: str, anchor: str) -> None:
    assert slug(heading) == anchor


def test_broken_links_are_found(tmp_path: Path) -> None:
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "a.md").write_text(
        '# Page A\n\n## Twice\n\n## Twice\n\n<a id="here"></a>Text.\n\n```sh\n# not a heading\n```\n'
    )
    (tmp_path / "code.py").write_text("print()\n")
    readme = tmp_path / "README.md"
    readme.write_text(
        "# Top\n\n"
        "[ok](docs/a.md) [ok](docs/a.md#page-a) [ok](docs/a.md#twice-1) [ok](docs/a.md#here) [ok](#top)\n"
        "[ok](code.py#L3) [ok](docs/) [ok](https://example.com/missing.md) `[in code](nowhere.md)`\n"
        "[missing](docs/b.md) [no heading](docs/a.md#twice-2) [fenced](docs/a.md#not-a-heading)\n"
        "[no anchor](#bottom) [outside](../elsewhere.md) [source](code.py#main)\n"
    )
    assert broken_links([readme], tmp_path) == [
        "README.md: docs/b.md (no such file)",
        "README.md: docs/a.md#twice-2 (no such heading or <a id>)",
        "README.md: docs/a.md#not-a-heading (no such heading or <a id>)",
        "README.md: #bottom (no such heading or <a id>)",
        "README.md: ../elsewhere.md (no such file)",
        "README.md: code.py#main (only line anchors, #L12, lead into a source file)",
    ]

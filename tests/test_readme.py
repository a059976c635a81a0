"""The README's error table is the catalogue's."""

from pathlib import Path

from twoco.errors import markdown_table

README = Path(__file__).parents[1] / "README.md"


def test_readme_error_table_matches_the_catalogue() -> None:
    text = README.read_text()
    table = text.split("<!-- errors:begin", 1)[1].split("-->", 1)[1].split("<!-- errors:end -->", 1)[0]
    assert table.strip() == markdown_table()

"""nnapprox.report.tables: cells and Markdown tables, one implementation for every report."""

import math

import numpy as np
import pandas as pd
import pytest

from nnapprox.report.tables import fmt_num, markdown_table, md_table


@pytest.mark.parametrize(
    "value,text",
    [
        (None, "-"),
        (math.nan, "-"),
        (np.float32("nan"), "-"),
        (True, "yes"),
        (np.bool_(False), "no"),
        (3, "3"),
        (np.int64(-12), "-12"),
        (2.0, "2"),
        (999999.0, "999999"),
        (1e6, "1e+06"),
        (0.1234567, "0.123"),
        (math.inf, "inf"),
        (-math.inf, "-inf"),
        (np.float32(2.5), "2.5"),
        ("text", "text"),
        (1.23456e-7, "1.23e-07"),
    ],
)
def test_a_cell_is_compact_and_never_nan(value, text):
    assert fmt_num(value) == text


def test_digits_are_significant_digits():
    assert fmt_num(math.pi, 5) == "3.1416" and fmt_num(123456.7, 2) == "1.2e+05"


def test_md_table_escapes_pipes_and_newlines_and_formats_numbers():
    text = md_table([["a|b", 0.5, None], ["x\ny", 2.0, math.nan]], ["name", "v", "w"])
    assert text.splitlines() == ["| name | v | w |", "|---|---|---|", "| a\\|b | 0.5 | - |", "| x y | 2 | - |"]


def test_markdown_table_of_a_frame_with_formats_and_index():
    df = pd.DataFrame({"n": [1, 2], "mse": [0.012345, math.nan]}, index=pd.Index(["p", "q"], name="k"))
    assert markdown_table(df, digits=2).splitlines()[2:] == ["| 1 | 0.012 |", "| 2 | - |"]
    text = markdown_table(df, formats={"mse": lambda v: f"<{v}>"}, index=True)
    assert text.splitlines()[0] == "| k | n | mse |" and text.splitlines()[2] == "| p | 1 | <0.012345> |"


def test_markdown_table_refuses_what_it_cannot_render():
    with pytest.raises(ValueError, match="df must be a pandas DataFrame, got list"):
        markdown_table([[1]])
    with pytest.raises(ValueError, match=r"formats names columns \['nope'\] that are not in the table"):
        markdown_table(pd.DataFrame({"a": [1]}), formats={"nope": str})

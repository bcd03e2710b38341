"""The shared option layer (``symconv.options``): parsers, rules, one verdict for CLI and claim files."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest
from clitools import assert_bad_input, run
from hypothesis import given
from hypothesis import strategies as st

from symconv.errors import OptionError
from symconv.options import (
    MAX_VALUE,
    OPTION_OF_FIELD,
    OPTIONS,
    SPEC_OPTIONS,
    build_spec,
    claim_words,
    cli_words,
    parse_dims,
    parse_flag,
    parse_padding,
    parse_size,
    parse_whole,
    read_options,
)
from symconv.spec import ConvSpec, Padding, format_size

ROOT = Path(__file__).resolve().parent.parent

# -- the parsers -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "parsed"),
    [("7", 7), ("7x9", (7, 9)), ("4x4x4", (4, 4, 4)), (" 3 x 5 ", (3, 5)), ("3X5", (3, 5)), ("3×5", (3, 5)),
     ("-1", -1), ("0", 0), (7, 7), ([5, 5], (5, 5)), ([5], 5), ((2, 3), (2, 3)), (str(MAX_VALUE), MAX_VALUE)],
)
def test_sizes(value: object, parsed: object) -> None:
    assert parse_size(value) == parsed


@pytest.mark.parametrize(
    "value",
    ["", "x", "3x", "x3", "3xx5", "a", "3.5", "3,5", "3x5x", "--3", "３", "1_000", 3.0, True, [], [True],
     ["a"], None],
)
def test_what_is_not_a_size(value: object) -> None:
    with pytest.raises(ValueError, match=r"^is not a size: give a whole number, or one per dimension"):
        parse_size(value)


@pytest.mark.parametrize(
    "value", [str(MAX_VALUE + 1), MAX_VALUE + 1, f"3x{MAX_VALUE + 1}", "99999999999999999999"]
)
def test_sizes_beyond_a_c_long(value: object) -> None:
    with pytest.raises(ValueError, match=f"^is too large: symconv takes values up to {MAX_VALUE}$"):
        parse_size(value)


@given(st.lists(st.integers(0, MAX_VALUE), min_size=1, max_size=3))
def test_sizes_round_trip_through_format_size(numbers: list[int]) -> None:
    """What the CLI writes (``format_size``, ``cli_args``) parses back to the same size."""
    size = tuple(numbers)
    parsed = parse_size(format_size(size))
    assert parsed == (size[0] if len(set(size)) == 1 else size)
    assert parse_size("x".join(map(str, size))) == (size[0] if len(size) == 1 else size)


@given(st.text(max_size=12))
def test_any_text_is_a_size_or_a_value_error(text: str) -> None:
    try:
        parsed = parse_size(text)
    except ValueError as error:
        assert str(error).startswith(("is not a size", "is too large"))
    else:
        numbers = parsed if isinstance(parsed, tuple) else (parsed,)
        assert all(isinstance(n, int) and n <= MAX_VALUE for n in numbers)


PADDINGS: list[Padding] = [0, 1, (0, 2), "same", "valid"]


@given(st.integers(1, 7), st.integers(1, 3), st.sampled_from(PADDINGS), st.booleans())
def test_a_specs_cli_args_read_back_to_the_spec(
    kernel: int, dilation: int, padding: Padding, bias: bool
) -> None:
    """``ConvSpec.cli_args`` (the command in every generated file) reads back to the same spec."""
    spec = ConvSpec(input_size=32, kernel_size=kernel, dilation=dilation, padding=padding, bias=bias)
    args = spec.cli_args()
    flags = {"no-bias": True} if "--no-bias" in args else {}
    args = [a for a in args if a != "--no-bias"]
    options = {args[i][2:]: args[i + 1] for i in range(0, len(args), 2)} | flags
    assert build_spec(read_options(options, cli_words), cli_words) == spec


@pytest.mark.parametrize(
    ("value", "parsed"), [("1", 1), ("1x2", (1, 2)), ("same", "same"), (" Valid ", "valid"), (0, 0)]
)
def test_paddings(value: object, parsed: object) -> None:
    assert parse_padding(value) == parsed


@pytest.mark.parametrize("value", ["full", "", "1x", "same1", True])
def test_what_is_not_a_padding(value: object) -> None:
    with pytest.raises(ValueError, match=r"^is not a padding: .* or same or valid"):
        parse_padding(value)
    with pytest.raises(ValueError, match=r"^is too large"):
        parse_padding(str(MAX_VALUE + 1))


def test_whole_numbers_flags_and_dims() -> None:
    assert parse_whole(" 8 ") == parse_whole(8) == 8
    assert parse_whole("0", minimum=0) == 0
    for bad, rule in [("two", "is not a whole number"), ("1.5", "is not a whole number"),
                      (2.5, "is not a whole"), (True, "is not a whole"), ("３", "is not a whole"),
                      (str(MAX_VALUE + 1), "is too large")]:
        with pytest.raises(ValueError, match=rule):
            parse_whole(bad)
    with pytest.raises(ValueError, match=r"^must be ≥ 0$"):
        parse_whole("-1", minimum=0)
    assert parse_flag(True) is True and parse_flag(False) is False
    for bad in ["no", 1, None]:
        with pytest.raises(ValueError, match=r"^must be true or false$"):
            parse_flag(bad)
    assert [parse_dims(v) for v in ("1", 2, " 3 ")] == [1, 2, 3]
    for bad in ["4", 0, "two", True]:
        with pytest.raises(ValueError, match=r"^must be 1, 2 or 3$"):
            parse_dims(bad)


# -- the table and the rules ---------------------------------------------------------------------------


def test_the_table_covers_every_spec_field_once() -> None:
    fields = {f for f in ConvSpec.__dataclass_fields__}
    assert set(OPTION_OF_FIELD) == fields
    assert [o.cli for o in SPEC_OPTIONS] == [
        "--input", "--kernel", "--stride", "--padding", "--dilation", "--in-channels", "--out-channels",
        "--groups", "--depthwise", "--separable", "--dims", "--no-bias",
    ]
    assert set(OPTIONS) == {o.key for o in SPEC_OPTIONS}


def test_build_spec_applies_the_rules() -> None:
    def build(**options: object) -> ConvSpec:
        given = {key.replace("_", "-"): value for key, value in options.items()}
        return build_spec(read_options(given, claim_words), claim_words)

    assert build() == ConvSpec()
    assert build(in_channels=3, depthwise=True) == ConvSpec(in_channels=3, out_channels=3, groups=3)
    assert build(in_channels=3, out_channels=6, depthwise=True).groups == 3
    assert build(in_channels=2, groups=2, depthwise=True).groups == 2
    assert build(no_bias=True).bias is False
    assert build(input="7x9", kernel=[3, 5], padding="same") == ConvSpec(
        input_size=(7, 9), kernel_size=(3, 5), padding="same"
    )
    for options, message in [
        ({"groups": 3, "in_channels": 4}, "groups = 3 does not divide in-channels = 4"),
        ({"groups": 2, "in_channels": 4, "depthwise": True},
         "groups = 2 conflicts with depthwise, which sets groups to the input channels (in-channels = 4)"),
        ({"groups": 2, "depthwise": True}, "the input channels (in-channels, 1 by default)"),
        ({"in_channels": 4, "out_channels": 6, "depthwise": True},
         "groups = 4 (set by depthwise) does not divide out-channels = 6"),
        ({"separable": True, "depthwise": True}, "depthwise cannot be combined with separable"),
        ({"separable": True, "groups": 2}, "groups = 2 cannot be combined with separable"),
        ({"kernel": "3x3", "dims": 1}, "kernel = '3x3' has 2 entries but dims = 1"),
        ({"colour": 1}, "unknown option colour"),
        ({"stride": "two"}, "stride = 'two' is not a size"),
    ]:
        with pytest.raises(OptionError) as caught:
            build(**options)
        assert message in str(caught.value)


# -- one verdict, one meaning: the command line and claim files ----------------------------------------

# (quantity, formula, CLI options, the claim's spec table, CLI naming → claim-file naming)
SAME_REFUSALS = [
    ("grad-input", "x", ["--groups", "3", "--in-channels", "4"], "{ groups = 3, in_channels = 4 }",
     {"--groups 3": "groups = 3", "--in-channels 4": "in_channels = 4"}),
    ("grad-input", "x", ["--groups", "2", "--in-channels", "4", "--depthwise"],
     "{ groups = 2, in-channels = 4, depthwise = true }",
     {"--groups 2": "groups = 2", "--in-channels 4": "in-channels = 4", "--depthwise": "depthwise"}),
    ("grad-input", "x", ["--in-channels", "4", "--out-channels", "6", "--depthwise"],
     "{ in-channels = 4, out-channels = 6, depthwise = true }",
     {"--groups 4": "groups = 4", "--out-channels 6": "out-channels = 6", "--depthwise": "depthwise"}),
    ("params", "k", ["--groups", "2", "--depthwise"], "{ groups = 2, depthwise = true }",
     {"--groups 2": "groups = 2", "--in-channels": "in-channels", "--depthwise": "depthwise"}),
    ("grad-input", "x", ["--input", "3", "--kernel", "5"], "{ input = 3, kernel = 5 }",
     {"--kernel 5": "kernel = 5", "--dilation 1": "dilation = 1", "--input 3": "input = 3",
      "--padding 0": "padding = 0"}),
    ("output-size", "n", ["--kernel", "3x"], "{ kernel = '3x' }", {"--kernel 3x": "kernel = '3x'"}),
    ("output-size", "n", ["--padding", "full"], "{ padding = 'full' }",
     {"--padding full": "padding = 'full'"}),
    ("output-size", "n", ["--stride", "0"], "{ stride = 0 }", {"--stride 0": "stride = 0"}),
    ("output-size", "n", ["--dims", "4"], "{ dims = 4 }", {"--dims 4": "dims = 4"}),
    ("output-size", "n", ["--input", "99999999999"], "{ input = 99999999999 }",
     {"--input 99999999999": "input = 99999999999"}),
]


@pytest.mark.parametrize(
    ("quantity", "formula", "args", "table", "names"), SAME_REFUSALS,
    ids=[" ".join(case[2]) for case in SAME_REFUSALS],
)
def test_the_cli_and_a_claims_file_refuse_alike(
    capsys: pytest.CaptureFixture[str], tmp_path: Path,
    quantity: str, formula: str, args: list[str], table: str, names: dict[str, str],
) -> None:
    """The same bad value: both exit 2 in one line, and the messages differ only in how options are named."""
    code, out, err = run(capsys, "verify", quantity, formula, *args)
    assert_bad_input(code, out, err)
    cli_message = err.removeprefix("symconv: error: ").rstrip("\n")
    path = tmp_path / "claims.toml"
    claim = f"[[claim]]\nquantity = '{quantity}'\nformula = '{formula}'\nspec = {table}\n"
    path.write_text(claim, encoding="utf-8")
    code, out, err = run(capsys, "verify", "--claims", str(path))
    assert_bad_input(code, out, err)
    claim_message = err.rstrip("\n").split(": claim 1: ", 1)[1]
    for cli_name in names:  # every value the CLI names, the claims file names too
        assert cli_name in cli_message and names[cli_name] in claim_message
    translated = cli_message
    for cli_name in sorted(names, key=len, reverse=True):
        translated = translated.replace(cli_name, names[cli_name])
    assert translated == claim_message


def test_derive_and_gen_refuse_as_verify_does(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    spec = ["--groups", "3", "--in-channels", "4", "--input", "5"]
    messages = set()
    for command in (["derive"], ["gen", "--out", str(tmp_path)], ["verify", "grad-input", "x"]):
        code, out, err = run(capsys, *command, *spec)
        assert_bad_input(code, out, err)
        messages.add(err)
    assert messages == {"symconv: error: --groups 3 does not divide --in-channels 4\n"}


def test_a_valid_spec_gives_the_same_verdict_both_ways(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    args = ["--input", "4", "--kernel", "2x3", "--in-channels", "2", "--depthwise", "--no-bias"]
    code, out, _ = run(capsys, "verify", "grad-input", "conv(pad(delta, k-1), rot180(W))", *args)
    path = tmp_path / "claims.toml"
    path.write_text("[[claim]]\nquantity = 'grad-input'\nformula = 'conv(pad(delta, k-1), rot180(W))'\n"
                    "spec = { input = 4, kernel = '2x3', in_channels = 2, depthwise = true, "
                    "no-bias = true }\n",
                    encoding="utf-8")
    claims_code, claims_out, _ = run(capsys, "verify", "--claims", str(path))
    assert code == claims_code == 0
    assert "HOLDS" in out and "1 claim: 1 holds" in claims_out


# -- the layer stands below the CLI ---------------------------------------------------------------------


def test_the_option_layer_does_not_import_click() -> None:
    done = subprocess.run(
        [sys.executable, "-c",
         "import sys, symconv.options; print(sorted(m for m in sys.modules if m == 'click' "
         "or m.startswith(('click.', 'symconv.cli', 'symconv.verify', 'symconv.render'))))"],
        capture_output=True, text=True, check=True, cwd=ROOT,
    )
    assert done.stdout.strip() == "[]"


def test_the_option_layer_imports_only_the_spec_layer() -> None:
    tree = ast.parse((ROOT / "symconv" / "options.py").read_text(encoding="utf-8"))
    imported = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}
    imported |= {a.name for node in ast.walk(tree) if isinstance(node, ast.Import) for a in node.names}
    ours = {name for name in imported if name.split(".")[0] == "symconv"}
    assert ours <= {"symconv.spec", "symconv.sizes", "symconv.errors"}
    assert all(name.split(".")[0] in sys.stdlib_module_names for name in imported - ours)

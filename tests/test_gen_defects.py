"""The defects a hostile pass found in ``gen`` and the code API: each reproduction, now as it should be."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from clitools import assert_bad_input, run

from symconv import ConvSpec
from symconv.codegen import generate
from symconv.errors import CodegenError

WARNINGS = ["-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic"]
COMPILERS = ["cc"] + (["clang"] if shutil.which("clang") else [])


@pytest.mark.parametrize("name, message", [
    ("symconv", "--name symconv is the name of an installed Python package the generated module would hide"),
    ("sympy", "--name sympy is the name of an installed Python package the generated module would hide"),
    ("a" * 5000, "--name aaaaaaaaaaaaaaaaaaaa… is 5000 characters long: at most 64"),
])
def test_bad_names_are_refused_in_one_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, name: str, message: str
) -> None:
    code, out, err = run(capsys, "gen", "--kernel", "3", "--name", name, "--out", str(tmp_path / "g"))
    assert_bad_input(code, out, err)
    assert message in err and len(err) < 300, err
    assert not (tmp_path / "g").exists()


@pytest.mark.parametrize("name, message", [
    (123, "name 123 is a int, not a string"),
    ("a" * 65, "is 65 characters long: at most 64"),
    ("symconv", "the name of an installed Python package"),
])
def test_the_api_refuses_bad_names(name: object, message: str) -> None:
    with pytest.raises(CodegenError, match=message):
        generate(ConvSpec(), name=name)  # type: ignore[arg-type]


@pytest.mark.parametrize("compiler", COMPILERS)
def test_macros_meet_no_system_macro_and_names_differing_in_case_keep_apart(
    tmp_path: Path, compiler: str
) -> None:
    """``--name X`` beside <unistd.h> (which defines X_OK), and ``blur`` beside ``BLUR`` in one file:
    the translation unit compiles warning-free."""
    assert shutil.which(compiler), f"no C compiler {compiler}: install gcc or clang"
    for name, kernel in (("X", 3), ("blur", 3), ("BLUR", 5)):
        for filename, text in generate(ConvSpec(kernel_size=kernel), target="c", name=name).files.items():
            (tmp_path / filename).write_text(text, encoding="utf-8")
    main = tmp_path / "main.c"
    main.write_text(
        "#define _POSIX_C_SOURCE 200809L\n#include <unistd.h>\n#include \"X.h\"\n#include \"blur.h\"\n"
        "#include \"BLUR.h\"\nint main(void) {\n"
        "  return (X_OK == 1 && SYMCONV_X_OK == 0 && SYMCONV_blur_TAPS == 9 && SYMCONV_BLUR_TAPS == 25)"
        " ? 0 : 1;\n}\n",
        encoding="utf-8",
    )
    binary = tmp_path / "main"
    built = subprocess.run([compiler, *WARNINGS, "-I", str(tmp_path), "-o", str(binary), str(main)],
                           capture_output=True, text=True, check=False)
    assert built.returncode == 0 and not built.stderr.strip(), built.stderr
    assert subprocess.run([str(binary)], check=False).returncode == 0

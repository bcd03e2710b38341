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


def test_a_fixed_size_too_large_for_a_long_is_refused(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, out, err = run(capsys, "gen", "--input", "2147483647", "--kernel", "1", "--dims", "3",
                         "--target", "c", "--out", str(tmp_path / "g"))
    assert_bad_input(code, out, err)
    assert "more than the 2,147,483,647 a C long indexes on every platform" in err
    assert not (tmp_path / "g").exists()


def test_sizes_whose_products_overflow_are_refused_at_run_time(tmp_path: Path) -> None:
    """An open-size 3-D layer called with 3000000³ (per sample 2.7·10¹⁹ entries, more than a 64-bit long)
    and batch 0, or with an input of LONG_MAX that its padding would overflow: …_ESIZE, under UBSan
    (gcc's; Debian's clang ships without the UBSan runtime)."""
    compiler = "cc"
    assert shutil.which(compiler), "no C compiler: install gcc"
    spec = ConvSpec(kernel_size=3, padding=1, dims=3)
    for filename, text in generate(spec, target="c", name="o3").files.items():
        (tmp_path / filename).write_text(text, encoding="utf-8")
    (tmp_path / "main.c").write_text(
        "#include <limits.h>\n#include <stdio.h>\n#include \"o3.h\"\nint main(void) {\n"
        "  long d, h, w; double one = 0;\n"
        "  int huge = o3_output_size(3000000, 3000000, 3000000, &d, &h, &w);\n"
        "  int batch0 = o3_forward(&one, &one, NULL, &one, 0, 3000000, 3000000, 3000000);\n"
        "  int padded = o3_output_size(LONG_MAX, 4, 4, &d, &h, &w);\n"
        "  int fine = o3_output_size(5, 5, 5, &d, &h, &w);\n"
        "  printf(\"%d %d %d %d %ld\\n\", huge, batch0, padded, fine, d);\n"
        "  return !(huge == SYMCONV_o3_ESIZE && batch0 == SYMCONV_o3_ESIZE && padded == SYMCONV_o3_ESIZE\n"
        "           && fine == SYMCONV_o3_OK && d == 5);\n}\n",
        encoding="utf-8",
    )
    binary = tmp_path / "main"
    flags = [*WARNINGS, "-fsanitize=undefined", "-fno-sanitize-recover=undefined"]
    sources = [str(tmp_path / "main.c"), str(tmp_path / "o3.c")]
    built = subprocess.run([compiler, *flags, "-I", str(tmp_path), "-o", str(binary), *sources],
                           capture_output=True, text=True, check=False)
    assert built.returncode == 0 and not built.stderr.strip(), built.stderr
    ran = subprocess.run([str(binary)], capture_output=True, text=True, check=False)
    assert ran.returncode == 0 and not ran.stderr, (ran.stdout, ran.stderr)


def test_the_api_applies_the_cli_limits_and_words() -> None:
    from symconv.errors import RenderError, SpecError
    from symconv.symbolic import derive

    with pytest.raises(SpecError, match=r"in_channels=10{30} is too large: symconv takes values up to 21474"):
        ConvSpec(in_channels=10**30)
    with pytest.raises(SpecError, match=r"stride=10{30} is too large"):
        generate(ConvSpec(stride=10**30, kernel_size=1))
    with pytest.raises(RenderError, match=r"max_entries=-1 must be a whole number ≥ 0 \(0 shows every entry"):
        derive(ConvSpec(input_size=3, kernel_size=2)).to_markdown(max_entries=-1)


def test_the_c_of_a_layer_without_bias_ignores_b(tmp_path: Path) -> None:
    """``--no-bias``: forward with a zero input and a non-NULL b gives y = 0 (b is ignored, as the header
    says), where it gave y = b."""
    spec = ConvSpec(input_size=(4, 5, 6), kernel_size=3, stride=2, padding=1, bias=False)
    code = generate(spec, target="c", name="nb")
    for filename, text in code.files.items():
        (tmp_path / filename).write_text(text, encoding="utf-8")
    assert "b is ignored" in code.files["nb.h"]
    (tmp_path / "main.c").write_text(
        "#include \"nb.h\"\nint main(void) {\n"
        "  static double x[4 * 5 * 6], w[27], y[2 * 3 * 3]; double b[1] = {5.0};\n"
        "  for (int i = 0; i < 27; ++i) w[i] = 1.0;\n"
        "  if (nb_forward(x, w, b, y, 1) != SYMCONV_nb_OK) return 2;\n"
        "  for (int i = 0; i < 2 * 3 * 3; ++i) if (y[i] != 0.0) return 1;\n"
        "  return 0;\n}\n",
        encoding="utf-8",
    )
    binary = tmp_path / "main"
    built = subprocess.run(["cc", *WARNINGS, "-I", str(tmp_path), "-o", str(binary), str(tmp_path / "main.c"),
                            str(tmp_path / "nb.c")], capture_output=True, text=True, check=False)
    assert built.returncode == 0 and not built.stderr.strip(), built.stderr
    assert subprocess.run([str(binary)], check=False).returncode == 0


# -- the C loader's environment -------------------------------------------------------------------

SMALL = ConvSpec(kernel_size=2, padding=1)


def _works(module: object) -> None:
    import numpy as np

    y = module.forward(np.ones((1, 1, 3, 3)), np.ones((1, 1, 2, 2)), np.zeros(1))  # type: ignore[attr-defined]
    assert y.shape == (1, 1, 4, 4) and y[0, 0, 1, 1] == 4


def test_a_relative_cache_directory_works(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SYMCONV_CACHE", "relative-cache")
    _works(generate(SMALL, target="c").load())
    assert list((tmp_path / "relative-cache").rglob("*.so"))


def test_cc_is_split_as_make_splits_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """CC='cc -O1' (a compiler with a flag, as CC='ccache gcc' or 'gcc -m32' would be)."""
    monkeypatch.setenv("SYMCONV_CACHE", str(tmp_path))
    monkeypatch.setenv("CC", "cc -O1")
    _works(generate(SMALL, target="c").load())
    monkeypatch.setenv("CC", "no-such-compiler -O1")
    with pytest.raises(CodegenError, match="'no-such-compiler' \\(from CC='no-such-compiler -O1'\\) is not"):
        generate(SMALL, target="c").load()


@pytest.mark.parametrize("kind", ["file", "unwritable"])
def test_a_cache_that_cannot_be_written_is_said_in_words(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kind: str
) -> None:
    import os

    cache = tmp_path / "cache"
    if kind == "file":
        cache.write_text("not a directory", encoding="utf-8")
    else:
        if os.geteuid() == 0:  # root writes anywhere: a path under a file is unwritable for anyone
            cache = tmp_path / "file" / "cache"
            (tmp_path / "file").write_text("", encoding="utf-8")
        else:
            cache.mkdir()
            cache.chmod(0o500)
    monkeypatch.setenv("SYMCONV_CACHE", str(cache))
    with pytest.raises(CodegenError, match=r"cannot be written .*: set SYMCONV_CACHE to a writable"):
        generate(SMALL, target="c").load()


def test_a_truncated_cached_library_is_rebuilt(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every cached shared object cut to 100 bytes ("file too short"): a new process loads the layer
    all the same, rebuilding what does not load (a process that has it loaded keeps its copy)."""
    import sys

    monkeypatch.setenv("SYMCONV_CACHE", str(tmp_path))
    script = ("import numpy as np; from symconv import ConvSpec; from symconv.codegen import generate; "
              "m = generate(ConvSpec(kernel_size=2, padding=1), target='c').load(); "
              "print(m.forward(np.ones((1, 1, 3, 3)), np.ones((1, 1, 2, 2)), np.zeros(1))[0, 0, 1, 1])")
    first = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=False)
    assert first.returncode == 0 and first.stdout.strip() == "4.0", first.stderr
    libraries = list(tmp_path.rglob("*.so"))
    assert libraries
    for library in libraries:
        library.write_bytes(library.read_bytes()[:100])
    again = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=False)
    assert again.returncode == 0 and again.stdout.strip() == "4.0", again.stderr
    assert all(library.stat().st_size > 100 for library in tmp_path.rglob("*.so"))


# -- writing files: all or none, concurrently, --out edges -------------------------------------


def test_a_failed_rename_rolls_back_the_whole_set(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The third file's rename fails (as with chattr +i): the two already replaced get their old text
    back, so the directory holds the first spec's set, whole."""
    import os

    from symconv.cli import output

    out = tmp_path / "d"
    assert run(capsys, "gen", "--kernel", "3", "--name", "pp", "--out", str(out))[0] == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    real = os.replace
    calls = []

    def failing(src: str, dst: object) -> None:
        calls.append(dst)
        if len(calls) == 3 and str(dst).startswith(str(out)):
            raise PermissionError(1, "Operation not permitted")
        real(src, dst)  # type: ignore[arg-type]

    monkeypatch.setattr(output.os, "replace", failing)
    code, outtext, err = run(capsys, "gen", "--kernel", "5", "--stride", "2", "--name", "pp",
                             "--out", str(out))
    assert_bad_input(code, outtext, err)
    assert "nothing was written (the files already replaced were restored)" in err
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


def test_concurrent_gens_into_one_directory_never_mix(tmp_path: Path) -> None:
    """8 processes at once, each its own spec, one name and directory, 6 rounds: the files left are
    always one spec's set (every file names the same spec)."""
    import sys

    for round_ in range(6):
        out = tmp_path / f"round{round_}"
        runs = [subprocess.Popen([sys.executable, "-m", "symconv", "gen", "--kernel", str(k), "--name", "cc",
                                  "--out", str(out)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
                for k in range(1, 9)]
        for process in runs:
            assert process.wait() == 0, process.stderr.read() if process.stderr else ""
        specs = set()
        for path in out.iterdir():
            lines = path.read_text(encoding="utf-8").splitlines()
            specs |= {line.split("Spec:", 1)[1].strip() for line in lines[:5] if "Spec:" in line}
        assert len(specs) == 1, specs


def test_a_read_only_file_is_not_replaced_and_a_writable_one_keeps_its_mode(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    out = tmp_path / "conv.md"
    out.write_text("mine\n", encoding="utf-8")
    out.chmod(0o444)
    code, text, err = run(capsys, "derive", "--input", "3", "--kernel", "2", "--format", "markdown",
                          "--out", str(out))
    assert_bad_input(code, text, err)
    assert "is read-only: symconv does not replace it" in err and out.read_text(encoding="utf-8") == "mine\n"
    out.chmod(0o640)
    code, _, _ = run(capsys, "derive", "--input", "3", "--kernel", "2", "--format", "markdown",
                     "--out", str(out))
    assert code == 0
    assert (out.stat().st_mode & 0o777) == 0o640 and out.read_text(encoding="utf-8") != "mine\n"


@pytest.mark.parametrize("command", [("gen", "--kernel", "3"), ("derive", "--input", "3"),
                                     ("figure", "sliding", "--input", "3")])
def test_an_empty_out_is_refused(capsys: pytest.CaptureFixture[str], command: tuple[str, ...]) -> None:
    code, out, err = run(capsys, *command, "--out", "")
    assert_bad_input(code, out, err)
    assert "--out '' is empty: give" in err


def test_gens_link_refusal_does_not_speak_of_printing(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    out = tmp_path / "g"
    out.mkdir()
    (tmp_path / "elsewhere.py").write_text("", encoding="utf-8")
    (out / "pp.py").symlink_to(tmp_path / "elsewhere.py")
    code, text, err = run(capsys, "gen", "--kernel", "3", "--name", "pp", "--out", str(out))
    assert_bad_input(code, text, err)
    assert "is a symbolic link" in err and "to print" not in err and "choose another --out or --name" in err

"""``symconv gen``: the files it writes, what it prints, its refusals (exit 2, one line, nothing written)."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import click
import pytest
from clitools import assert_bad_input, run

from symconv import ConvSpec
from symconv.cli import main
from symconv.cli.gen import gen as gen_command
from symconv.codegen import GeneratedCode, generate
from symconv.codegen.c_compile import include_dirs
from symconv.codegen.driver import MARKER
from symconv.errors import CodegenError
from symconv.symbolic.separable import separable_specs

# Targets whose code is loaded (the C compiled with the system cc) and checked numerically.
LOADED_TARGETS = ["numpy", "c"]

HEADLINE = ["--kernel", "3", "--dilation", "2"]
HEADLINE_FILES = [
    "conv2d_k3_d2.c", "conv2d_k3_d2.h", "conv2d_k3_d2.py", "conv2d_k3_d2_c.py", "conv2d_k3_d2_ext.c"
]
FOREIGN = "# my own conv2d_k3_d2, written by hand\n"


def names(directory: Path) -> list[str]:
    """Every entry of ``directory``, hidden ones (temp files) included."""
    return sorted(p.name for p in directory.iterdir())


# -- writing --------------------------------------------------------------------------------------


def test_gen_writes_the_files_and_prints_them(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, out, err = run(capsys, "gen", *HEADLINE, "--out", str(tmp_path))
    assert (code, err) == (0, "")
    assert names(tmp_path) == HEADLINE_FILES  # and no temp file left behind
    expected = {
        **generate(ConvSpec(kernel_size=3, dilation=2), target="numpy").files,
        **generate(ConvSpec(kernel_size=3, dilation=2), target="c").files,
    }
    for filename, text in expected.items():
        assert (tmp_path / filename).read_text(encoding="utf-8") == text
    lines = out.splitlines()
    order = ("conv2d_k3_d2.py", "conv2d_k3_d2.h", "conv2d_k3_d2.c", "conv2d_k3_d2_c.py", "conv2d_k3_d2_ext.c")
    assert lines[:5] == [f"wrote {tmp_path / n}" for n in order]
    assert lines[5] == ""
    assert lines[6] == f"Python: sys.path.insert(0, {str(tmp_path)!r}); import conv2d_k3_d2"
    assert lines[7].split() == [
        "conv2d_k3_d2.forward(x,", "w,", "b),", ".grad_input(dy,", "w,", "input_size),",
        ".grad_weight(x,", "dy),", ".grad_bias(dy)",
    ]
    source = tmp_path / "conv2d_k3_d2.c"
    flags = "-O3 -std=c99 -march=native -ffp-contract=fast"  # the loader's (c_compile.cflags)
    assert lines[8] == (f'C:      cc {flags} -c {source}   (#include "conv2d_k3_d2.h"; portable: leave out '
                        "-march=native -ffp-contract=fast)")
    library = tmp_path / "libconv2d_k3_d2.so"
    assert lines[9] == f"ctypes: cc {flags} -fPIC -shared -o {library} {source}"
    assert lines[10] == (
        f"        sys.path.insert(0, {str(tmp_path)!r}); import conv2d_k3_d2_c; "
        f"conv2d_k3_d2_c.load({str(library)!r})"
    )
    python, numpy_ = (str(p) for p in include_dirs())
    extension = tmp_path / f"conv2d_k3_d2_ext{sysconfig.get_config_var('EXT_SUFFIX')}"
    assert lines[11] == (f"ext:    cc {flags} -fPIC -shared -I{python} -I{numpy_} -o {extension} "
                         f"{tmp_path / 'conv2d_k3_d2_ext.c'} {source}")
    assert lines[12] == (f"        sys.path.insert(0, {str(tmp_path)!r}); import conv2d_k3_d2_ext   "
                         "(Python's headers: python3-dev)")
    assert len(lines) == 13


def test_the_files_start_with_the_marker_and_the_command(tmp_path: Path) -> None:
    assert main(["gen", *HEADLINE, "--out", str(tmp_path)]) == 0
    for filename in HEADLINE_FILES:
        first, _, third = (tmp_path / filename).read_text(encoding="utf-8").splitlines()[:3]
        assert MARKER in first
        target = "numpy" if filename == "conv2d_k3_d2.py" else "c"
        command = f"symconv gen --kernel 3 --dilation 2 --target {target} --dtype float64"
        assert third.endswith(f"Regenerate: {command}")


def test_defaults(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No options: kernel 3, any input size, every target, float64, into ./generated (created)."""
    monkeypatch.chdir(tmp_path)
    code, out, err = run(capsys, "gen")
    assert (code, err) == (0, "")
    assert names(tmp_path) == ["generated"]
    assert names(tmp_path / "generated") == [
        "conv2d_k3.c", "conv2d_k3.h", "conv2d_k3.py", "conv2d_k3_c.py", "conv2d_k3_ext.c"
    ]
    assert out.startswith(
        "wrote generated/conv2d_k3.py\nwrote generated/conv2d_k3.h\nwrote generated/conv2d_k3.c\n"
    )
    assert "sys.path.insert(0, 'generated')" in out
    assert "cc -O3 -std=c99 -march=native -ffp-contract=fast -c generated/conv2d_k3.c" in out
    text = (tmp_path / "generated" / "conv2d_k3.py").read_text(encoding="utf-8")
    assert text == generate(ConvSpec(kernel_size=3), target="numpy", dtype="float64").files["conv2d_k3.py"]


@pytest.mark.parametrize(
    ("target", "files"),
    [
        ("numpy", ["conv2d_k3_d2.py"]),
        ("c", ["conv2d_k3_d2.c", "conv2d_k3_d2.h", "conv2d_k3_d2_c.py", "conv2d_k3_d2_ext.c"]),
        ("all", HEADLINE_FILES),
    ],
)
def test_target(capsys: pytest.CaptureFixture[str], tmp_path: Path, target: str, files: list[str]) -> None:
    code, out, _ = run(capsys, "gen", *HEADLINE, "--target", target, "--out", str(tmp_path))
    assert code == 0
    assert names(tmp_path) == files
    assert ("Python:" in out) == (target != "c")
    assert ("cc -O3 -std=c99" in out) == (target != "numpy")


@pytest.mark.parametrize("target", ["numpy", "c"])
def test_dtype_float32(tmp_path: Path, target: str) -> None:
    assert main(["gen", *HEADLINE, "--target", target, "--dtype", "float32", "--out", str(tmp_path)]) == 0
    expected = generate(ConvSpec(kernel_size=3, dilation=2), target=target, dtype="float32").files
    assert names(tmp_path) == sorted(expected)
    for filename, text in expected.items():
        assert (tmp_path / filename).read_text(encoding="utf-8") == text
        assert "--dtype float32" in text.splitlines()[2]
    if target == "c":
        header = (tmp_path / "conv2d_k3_d2.h").read_text(encoding="utf-8")
        assert "const float *x" in header and "double" not in header


def test_fixed_input_size_and_no_bias(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, _ = run(capsys, "gen", "--input", "3", "--kernel", "2", "--no-bias", "--out", str(tmp_path))
    assert code == 0
    assert names(tmp_path) == [f"conv2d_k2_n3_nobias{end}" for end in (".c", ".h", ".py", "_c.py", "_ext.c")]
    assert "conv2d_k2_n3_nobias.forward(x, w), .grad_input(dy, w), .grad_weight(x, dy)\n" in out


def test_depthwise(tmp_path: Path) -> None:
    args = ["gen", "--in-channels", "3", "--depthwise", "--target", "numpy", "--out", str(tmp_path)]
    assert main(args) == 0
    assert names(tmp_path) == ["conv2d_k3_c3to3_dw.py"]


def test_the_out_directory_is_created_with_its_parents(tmp_path: Path) -> None:
    out = tmp_path / "a" / "b"
    assert main(["gen", *HEADLINE, "--target", "numpy", "--out", str(out)]) == 0
    assert names(out) == ["conv2d_k3_d2.py"]


# -- --name -----------------------------------------------------------------------------------------


def test_name(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, _ = run(capsys, "gen", *HEADLINE, "--name", "blur3", "--out", str(tmp_path))
    assert code == 0
    assert names(tmp_path) == ["blur3.c", "blur3.h", "blur3.py", "blur3_c.py", "blur3_ext.c"]
    assert "int blur3_forward(" in (tmp_path / "blur3.h").read_text(encoding="utf-8")
    assert "import blur3" in out
    regenerate = (tmp_path / "blur3.py").read_text(encoding="utf-8").splitlines()[2]
    assert regenerate.endswith("--name blur3")


@pytest.mark.parametrize("name", ["Conv2", "conv_3x3", "integer", "c_"])
def test_valid_names(tmp_path: Path, name: str) -> None:
    assert main(["gen", "--target", "c", "--name", name, "--out", str(tmp_path)]) == 0
    assert names(tmp_path) == [f"{name}.c", f"{name}.h", f"{name}_c.py", f"{name}_ext.c"]


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("9conv", "--name 9conv is not a valid C identifier: use letters, digits and _, not starting with"),
        ("my-conv", "--name my-conv is not a valid C identifier"),
        ("int", "--name int is a C keyword: choose another, e.g. int_conv"),
        ("while", "--name while is a C keyword"),
        ("", "--name '' is not a valid C identifier"),
        ("a b", "--name 'a b' is not a valid C identifier"),
        ("conv.py", "--name conv.py is not a valid C identifier"),
        ("../evil", "--name ../evil is not a valid C identifier"),
        # C reserves every identifier starting with _ at file scope (C99 7.1.3)
        ("_conv", "--name _conv is not a valid C identifier: use letters, digits and _, not starting with"),
    ],
)
def test_invalid_names(capsys: pytest.CaptureFixture[str], tmp_path: Path, name: str, message: str) -> None:
    out_dir = tmp_path / "out"
    code, out, err = run(capsys, "gen", "--name", name, "--out", str(out_dir))
    assert_bad_input(code, out, err)
    assert err.startswith(f"symconv: error: {message}")
    assert names(tmp_path) == []  # not even the out directory


# -- refusing to overwrite --------------------------------------------------------------------------


def test_refuses_to_overwrite_a_foreign_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    mine = tmp_path / "conv2d_k3_d2.py"
    mine.write_text(FOREIGN)
    code, out, err = run(capsys, "gen", *HEADLINE, "--out", str(tmp_path))
    assert_bad_input(code, out, err)
    assert str(mine) in err and "--force" in err and "not generated by symconv" in err
    assert mine.read_text() == FOREIGN
    assert names(tmp_path) == ["conv2d_k3_d2.py"]  # nothing half-written: no .h, no .c, no temp file


def test_nothing_is_written_when_one_of_several_files_is_refused(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """The foreign file is the last one written: the others must not appear before the refusal."""
    (tmp_path / "conv2d_k3_d2.c").write_text(FOREIGN)
    (tmp_path / "conv2d_k3_d2.h").write_text("/* Generated by symconv, an old version */\n")
    code, out, err = run(capsys, "gen", *HEADLINE, "--out", str(tmp_path))
    assert_bad_input(code, out, err)
    assert str(tmp_path / "conv2d_k3_d2.c") in err and "conv2d_k3_d2.h" not in err
    assert names(tmp_path) == ["conv2d_k3_d2.c", "conv2d_k3_d2.h"]
    assert (tmp_path / "conv2d_k3_d2.c").read_text() == FOREIGN
    assert (tmp_path / "conv2d_k3_d2.h").read_text() == "/* Generated by symconv, an old version */\n"


def test_every_refused_file_is_named(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    for filename in HEADLINE_FILES:
        (tmp_path / filename).write_text(FOREIGN)
    code, out, err = run(capsys, "gen", *HEADLINE, "--out", str(tmp_path))
    assert_bad_input(code, out, err)
    assert all(str(tmp_path / filename) in err for filename in HEADLINE_FILES)


def test_force_replaces_a_foreign_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    mine = tmp_path / "conv2d_k3_d2.py"
    mine.write_text(FOREIGN)
    code, _, err = run(capsys, "gen", *HEADLINE, "--out", str(tmp_path), "--force")
    assert (code, err) == (0, "")
    assert MARKER in mine.read_text(encoding="utf-8").splitlines()[0]
    assert names(tmp_path) == HEADLINE_FILES


def test_a_file_symconv_generated_is_replaced(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert run(capsys, "gen", *HEADLINE, "--out", str(tmp_path))[0] == 0
    fresh = (tmp_path / "conv2d_k3_d2.py").read_text(encoding="utf-8")
    first = fresh.splitlines()[0]
    (tmp_path / "conv2d_k3_d2.py").write_text(f"{first}\n# an old or edited version\n")
    code, _, err = run(capsys, "gen", *HEADLINE, "--out", str(tmp_path))
    assert (code, err) == (0, "")
    assert (tmp_path / "conv2d_k3_d2.py").read_text(encoding="utf-8") == fresh
    assert names(tmp_path) == HEADLINE_FILES


def test_an_empty_file_is_foreign(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    (tmp_path / "conv2d_k3_d2.py").write_text("")
    assert_bad_input(*run(capsys, "gen", *HEADLINE, "--target", "numpy", "--out", str(tmp_path)))


def test_the_marker_must_be_on_the_first_line(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    (tmp_path / "conv2d_k3_d2.py").write_text(f"# mine\n# {MARKER} (quoted)\n")
    assert_bad_input(*run(capsys, "gen", *HEADLINE, "--target", "numpy", "--out", str(tmp_path)))


def test_a_directory_in_the_way(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    (tmp_path / "conv2d_k3_d2.h").mkdir()
    code, out, err = run(capsys, "gen", *HEADLINE, "--out", str(tmp_path), "--force")
    assert_bad_input(code, out, err)
    assert "conv2d_k3_d2.h is a directory" in err
    assert names(tmp_path) == ["conv2d_k3_d2.h"]


def test_out_is_a_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    (tmp_path / "notes").write_text("x\n")
    code, out, err = run(capsys, "gen", "--out", str(tmp_path / "notes"))
    assert_bad_input(code, out, err)
    assert f"--out {tmp_path / 'notes'} is not a directory" in err


def test_out_below_a_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    (tmp_path / "notes").write_text("x\n")
    code, out, err = run(capsys, "gen", "--out", str(tmp_path / "notes" / "sub"))
    assert_bad_input(code, out, err)
    assert "--out" in err and "cannot create the directory" in err
    assert names(tmp_path) == ["notes"]


def test_a_failing_generation_writes_nothing(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The C target fails after the NumPy one succeeded: no file, and the new directory is not made."""

    def fail_for_c(
        spec: ConvSpec, target: str = "numpy", dtype: str = "float64", name: str | None = None,
        threads: int = 1,
    ) -> GeneratedCode:
        if target == "c":
            raise CodegenError("the C target cannot do this, for the test")
        return generate(spec, target=target, dtype=dtype, name=name, threads=threads)

    monkeypatch.setattr("symconv.cli.gen.generate", fail_for_c)
    code, out, err = run(capsys, "gen", *HEADLINE, "--out", str(tmp_path / "out"))
    assert_bad_input(code, out, err)
    assert err == "symconv: error: the C target cannot do this, for the test\n"
    assert names(tmp_path) == []


def test_a_failing_write_writes_nothing(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The disk fills up at the last file: the first two are not left behind, nor any temp file."""
    import symconv.cli.output

    real_stage = symconv.cli.output._stage
    staged: list[Path] = []

    def stage(text: str, out: Path) -> str:
        staged.append(out)
        if len(staged) == 3:
            raise OSError(28, "No space left on device")
        return real_stage(text, out)

    monkeypatch.setattr(symconv.cli.output, "_stage", stage)
    out_dir = tmp_path / "new" / "out"
    code, out, err = run(capsys, "gen", *HEADLINE, "--out", str(out_dir))
    assert_bad_input(code, out, err)
    assert "No space left on device" in err and "conv2d_k3_d2.c" in err
    assert names(tmp_path) == []  # the directories made for the run are gone too

    (tmp_path / "kept").mkdir()
    (tmp_path / "kept" / "conv2d_k3_d2.py").write_text(FOREIGN)
    staged.clear()
    assert_bad_input(*run(capsys, "gen", *HEADLINE, "--out", str(tmp_path / "kept"), "--force"))
    assert names(tmp_path / "kept") == ["conv2d_k3_d2.py"]
    assert (tmp_path / "kept" / "conv2d_k3_d2.py").read_text() == FOREIGN


# -- bad input ------------------------------------------------------------------------------------------

BAD_INPUT = [
    # (arguments after `gen`, words the one line must contain)
    (["--in-channels", "4", "--groups", "3"], "--groups 3 does not divide --in-channels 4"),
    (["--kernel", "0"], "--kernel 0 must be ≥ 1"),
    (["--kernel", "3x"], "--kernel 3x is not a size"),
    (["--input", "3", "--kernel", "5"], "--kernel 5 spans 5"),
    (["--padding", "same", "--stride", "2"], "--padding same needs stride 1"),
    (["--dims", "4"], "--dims 4 must be 1, 2 or 3"),
    (["--in-channels", "2", "--separable", "--groups", "2"],
     "--groups 2 cannot be combined with --separable"),
    (["--in-channels", "2", "--separable", "--depthwise"], "--depthwise cannot be combined with --separable"),
    (["--target", "cuda"], "--target cuda is not one of numpy, c, all"),
    (["--dtype", "float16"], "--dtype float16 is not one of float32, float64"),
    (["--name"], "--name"),
    (["--bogus"], "No such option"),
    (["extra"], "extra"),
]


@pytest.mark.parametrize(("args", "words"), BAD_INPUT, ids=[" ".join(a) for a, _ in BAD_INPUT])
def test_bad_input(capsys: pytest.CaptureFixture[str], tmp_path: Path, args: list[str], words: str) -> None:
    code, out, err = run(capsys, "gen", "--out", str(tmp_path / "out"), *args)
    assert_bad_input(code, out, err)
    assert words in err
    assert names(tmp_path) == []


# -- --separable ----------------------------------------------------------------------------------------

SEPARABLE = ["--in-channels", "4", "--out-channels", "8", "--kernel", "3", "--padding", "1", "--separable"]


def test_separable_writes_the_pair(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, err = run(capsys, "gen", *SEPARABLE, "--out", str(tmp_path))
    assert (code, err) == (0, "")
    stems = ["conv2d_k3_p1_c4to8_depthwise", "conv2d_k3_p1_c4to8_pointwise"]
    assert names(tmp_path) == sorted(f"{s}{e}" for s in stems for e in (".c", ".h", ".py", "_c.py", "_ext.c"))
    depthwise, pointwise = separable_specs(ConvSpec(in_channels=4, out_channels=8, kernel_size=3, padding=1))
    for stem, spec in zip(stems, (depthwise, pointwise)):
        for target in ("numpy", "c"):
            for filename, text in generate(spec, target=target, name=stem).files.items():
                assert (tmp_path / filename).read_text(encoding="utf-8") == text
        assert f"wrote {tmp_path / stem}.py\n" in out
    assert f"import {stems[0]}, {stems[1]}\n" in out
    assert f"y = {stems[1]}.forward({stems[0]}.forward(x, k, b_k), w, b_w)" in out


def test_separable_with_a_name(tmp_path: Path) -> None:
    assert main(["gen", *SEPARABLE, "--name", "sep", "--target", "numpy", "--out", str(tmp_path)]) == 0
    assert names(tmp_path) == ["sep_depthwise.py", "sep_pointwise.py"]


@pytest.mark.parametrize("target", LOADED_TARGETS)
def test_the_separable_pair_composes(tmp_path: Path, target: str) -> None:
    """Loaded, the two stages give the plain reference of depthwise followed by 1×1."""
    import numpy as np
    import reference as ref

    assert main(["gen", *SEPARABLE, "--name", "sep", "--target", target, "--out", str(tmp_path)]) == 0
    depthwise, pointwise = separable_specs(ConvSpec(in_channels=4, out_channels=8, kernel_size=3, padding=1))
    loaded = []
    for stage, spec in (("depthwise", depthwise), ("pointwise", pointwise)):
        files = generate(spec, target=target, name=f"sep_{stage}").files
        assert all((tmp_path / f).read_text(encoding="utf-8") == t for f, t in files.items())
        loaded.append(generate(spec, target=target, name=f"sep_{stage}").load())
    dw, pw = loaded
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 4, 6, 5))
    k, bk = rng.standard_normal((4, 1, 3, 3)), rng.standard_normal(4)
    w, bw = rng.standard_normal((8, 4, 1, 1)), rng.standard_normal(8)
    expected = ref.forward(ref.forward(x, k, bk, padding=1, groups=4), w, bw)
    np.testing.assert_allclose(pw.forward(dw.forward(x, k, bk), w, bw), expected, rtol=1e-12, atol=1e-12)


# -- the printed hints work -------------------------------------------------------------------------


def test_the_python_hint_imports_the_module(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, _ = run(capsys, "gen", *HEADLINE, "--target", "numpy", "--out", str(tmp_path / "gen dir"))
    assert code == 0
    (hint,) = [line for line in out.splitlines() if line.startswith("Python: ")]
    script = f"import sys; {hint.removeprefix('Python: ')}; print(conv2d_k3_d2.output_size((7, 9)))"
    done = subprocess.run(
        [sys.executable, "-B", "-c", script], capture_output=True, text=True, cwd=tmp_path, check=False
    )
    assert (done.returncode, done.stdout, done.stderr) == (0, "(3, 5)\n", "")


def test_the_c_hint_compiles(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """The printed ``cc`` line compiles the source as printed (CI installs a C compiler)."""
    code, out, _ = run(capsys, "gen", *SEPARABLE, "--target", "c", "--out", str(tmp_path / "gen dir"))
    assert code == 0
    (hint,) = [line for line in out.splitlines() if line.startswith("C: ")]
    command = shlex.split(hint.removeprefix("C: ").split("   (")[0])
    assert command[0] == "cc" and shutil.which("cc"), "no C compiler: install gcc or clang"
    done = subprocess.run(
        [*command, "-Wall", "-Wextra", "-Werror", "-pedantic"],
        capture_output=True, text=True, cwd=tmp_path, check=False,
    )
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in tmp_path.glob("*.o")) == [
        "conv2d_k3_p1_c4to8_depthwise.o", "conv2d_k3_p1_c4to8_pointwise.o"
    ]



def test_the_ctypes_hint_builds_and_loads(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """The printed ``ctypes:`` lines: the shared libraries build, and the bindings load and compute."""
    code, out, _ = run(capsys, "gen", *SEPARABLE, "--target", "c", "--out", str(tmp_path / "gen dir"))
    assert code == 0
    lines = out.splitlines()
    (at,) = [i for i, line in enumerate(lines) if line.startswith("ctypes: ")]
    assert shutil.which("cc"), "no C compiler: install gcc or clang"
    for command in lines[at].removeprefix("ctypes: ").split(" && "):
        done = subprocess.run(
            [*shlex.split(command), "-Wall", "-Wextra", "-Werror", "-pedantic"],
            capture_output=True, text=True, cwd=tmp_path, check=False,
        )
        assert done.returncode == 0, done.stderr
    stems = ["conv2d_k3_p1_c4to8_depthwise", "conv2d_k3_p1_c4to8_pointwise"]
    script = (
        f"import sys, numpy as np; {lines[at + 1].strip()}; "
        f"y = {stems[1]}_c.forward({stems[0]}_c.forward(np.ones((1, 4, 5, 5)), np.ones((4, 1, 3, 3))), "
        "np.ones((8, 4, 1, 1))); print(y.shape, y[0, 0, 2, 2])"
    )
    done = subprocess.run(
        [sys.executable, "-B", "-c", script], capture_output=True, text=True, cwd=tmp_path, check=False
    )
    assert (done.returncode, done.stdout, done.stderr) == (0, "(1, 8, 5, 5) 36.0\n", "")


def test_the_ext_hint_builds_and_imports(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """The printed ``ext:`` lines: the extension modules build, import and compute."""
    code, out, _ = run(capsys, "gen", *SEPARABLE, "--target", "c", "--out", str(tmp_path / "gen dir"))
    assert code == 0
    lines = out.splitlines()
    (at,) = [i for i, line in enumerate(lines) if line.startswith("ext: ")]
    for command in lines[at].removeprefix("ext: ").split(" && "):
        done = subprocess.run([*shlex.split(command), "-Wall", "-Wextra", "-Werror"],
                              capture_output=True, text=True, cwd=tmp_path, check=False)
        assert done.returncode == 0, done.stderr
    stems = ["conv2d_k3_p1_c4to8_depthwise", "conv2d_k3_p1_c4to8_pointwise"]
    script = (
        f"import sys, numpy as np; {lines[at + 1].split('   (')[0].strip()}; "
        f"y = {stems[1]}_ext.forward({stems[0]}_ext.forward(np.ones((1, 4, 5, 5)), np.ones((4, 1, 3, 3))), "
        "np.ones((8, 4, 1, 1))); print(y.shape, y[0, 0, 2, 2])"
    )
    done = subprocess.run(
        [sys.executable, "-B", "-c", script], capture_output=True, text=True, cwd=tmp_path, check=False
    )
    assert (done.returncode, done.stdout, done.stderr) == (0, "(1, 8, 5, 5) 36.0\n", "")


# -- help and the real entry point ------------------------------------------------------------------------


def test_gen_help(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "gen", "--help")
    assert (code, err) == (0, "")
    for option in ["--input", "--kernel", "--separable", "--target", "--dtype", "--name", "--out", "--force"]:
        assert option in out
    assert "[numpy|c|all]" in out and "[float32|float64]" in out
    assert "Examples:\n    symconv gen --kernel 3 --dilation 2\n" in out
    assert "gen" in run(capsys, "--help")[1]


def test_every_gen_option_has_help_with_an_example() -> None:
    options = [p for p in gen_command.params if isinstance(p, click.Option) and p.name != "help"]
    assert {max(p.opts, key=len) for p in options} >= {"--target", "--dtype", "--name", "--out", "--force"}
    for param in options:
        name = max(param.opts, key=len)
        assert param.help and len(param.help) > 30, name
        assert name in param.help, f"{name}: the help has no example using it"


def test_the_console_entry_point(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "symconv", "gen", *HEADLINE, "--out", "x"],
        capture_output=True, text=True, cwd=tmp_path, check=False, env={**os.environ, "PYTHONHASHSEED": "7"},
    )
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout.startswith(
        "wrote x/conv2d_k3_d2.py\nwrote x/conv2d_k3_d2.h\nwrote x/conv2d_k3_d2.c\n"
        "wrote x/conv2d_k3_d2_c.py\nwrote x/conv2d_k3_d2_ext.c\n\n"
    )
    assert names(tmp_path / "x") == HEADLINE_FILES


@pytest.mark.parametrize("name", ["operator", "math", "np", "_Reserved", "__twice"])
def test_names_that_would_break_an_import_or_c_are_refused(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, name: str
) -> None:
    """A module named like a stdlib/NumPy module would hide it; _X and __x are reserved in C."""
    assert_bad_input(*run(capsys, "gen", "--kernel", "3", "--name", name, "--out", str(tmp_path)))
    assert list(tmp_path.iterdir()) == []

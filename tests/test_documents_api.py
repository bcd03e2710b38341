"""The document methods on the derivations give the renderer's output, in both languages."""

from __future__ import annotations

import pytest

from symconv import ConvSpec, RenderError, derive, derive_separable
from symconv.render import render_latex, render_markdown


def test_derivation_methods_are_the_renderers() -> None:
    d = derive(ConvSpec(input_size=3, kernel_size=2))
    assert d.to_markdown(backward=True) == render_markdown(d, lang="en", backward=True, max_entries=64)
    assert d.to_latex() == render_latex(d, lang="en", backward=False, max_entries=64)
    assert "x_{11} k_{11} + x_{12} k_{12} + x_{21} k_{21} + x_{22} k_{22}" in d.to_latex()
    assert d._repr_latex_().startswith("$$") and d._repr_latex_().endswith("$$")


def test_separable_methods_and_chinese_prose() -> None:
    s = derive_separable(ConvSpec(input_size=4, kernel_size=3, in_channels=2, out_channels=3))
    zh = s.to_markdown(lang="zh")
    assert any("\u4e00" <= ch <= "\u9fff" for ch in zh)
    assert s.to_markdown(lang="en") != zh


def test_chinese_latex_is_a_ctex_article() -> None:
    d = derive(ConvSpec(input_size=3, kernel_size=2))
    assert "ctexart" in d.to_latex(lang="zh") and "ctexart" not in d.to_latex()
    with pytest.raises(RenderError):
        d.to_latex(lang="fr")

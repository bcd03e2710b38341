"""The document methods of a derivation: thin calls into ``symconv.render``.

The one place where the symbolic core reaches downstream, on purpose and lazily
(imports inside the methods), so ``d.to_markdown()`` works without the core
depending on the renderer at import time.
"""

from __future__ import annotations


class Documented:
    """``to_markdown``, ``to_latex`` and Jupyter's ``_repr_latex_`` for a derivation."""

    def to_markdown(
        self, lang: str = "en", *, backward: bool = False, max_entries: int | None = None
    ) -> str:
        """This derivation as Markdown ($…$ / $$…$$ math, as KaTeX renders it); lang "en" or "zh"."""
        from symconv.render import DEFAULT_MAX_ENTRIES, render_markdown

        limit = DEFAULT_MAX_ENTRIES if max_entries is None else max_entries
        return render_markdown(self, lang=lang, backward=backward, max_entries=limit)  # type: ignore[arg-type]

    def to_latex(
        self, lang: str = "en", *, backward: bool = False, max_entries: int | None = None
    ) -> str:
        """This derivation as a standalone LaTeX article that pdflatex compiles (English only)."""
        from symconv.render import DEFAULT_MAX_ENTRIES, render_latex

        limit = DEFAULT_MAX_ENTRIES if max_entries is None else max_entries
        return render_latex(self, lang=lang, backward=backward, max_entries=limit)  # type: ignore[arg-type]

    def _repr_latex_(self) -> str:
        """For Jupyter: the unrolled product Ŷ = X̂·K̂ with its matrices (elided when large)."""
        from symconv.render import repr_latex

        return repr_latex(self)  # type: ignore[arg-type]

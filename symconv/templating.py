"""The jinja2 environment for every template (code and documents): strict, shipped in the wheel."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import jinja2


def template_dir() -> Path:
    """``symconv/templates`` in an installed wheel, else ``templates/`` of the source tree."""
    here = Path(__file__).resolve().parent
    packaged = here / "templates"
    return packaged if packaged.is_dir() else here.parent / "templates"


@cache
def environment() -> jinja2.Environment:
    """Templates only lay out text: an undefined name is an error, never an empty string."""
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(template_dir())),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,
    )


def render(template: str, **context: object) -> str:
    """Render ``template`` (a path below ``templates/``) with ``context``."""
    return environment().get_template(template).render(**context)

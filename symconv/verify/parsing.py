"""Hand-written formulas: syntax detection (SymPy or LaTeX), tokens with positions, and a parser.

One parser serves both syntaxes: two tokenizers turn the text into the same
tokens, each carrying its position in the text as typed, so that every error
can point at the character it is about (:class:`FormulaParseError` draws the
caret). The parser builds a small tree (:class:`Node`); what the names mean is
decided later, per quantity, by the modules that evaluate formulas.

Accepted in both syntaxes: ``+ - * / // % ^ **``, parentheses and brackets,
implicit multiplication (``2p``, ``(r-1)(k+1)``, ``k(k-1)``), tuples ``(a, b)``,
calls ``f(a, b, key=c)`` and the Unicode signs ``− × · ÷ ⌊ ⌋ ⌈ ⌉ δ ⊙``. LaTeX
adds ``\\frac{a}{b}``, ``\\lfloor … \\rfloor``, ``\\lceil … \\rceil``,
``\\left``/``\\right``, ``\\cdot``, ``\\times``, ``{…}`` groups, subscripts
(``c_{in}``, ``k_1``), ``\\operatorname{…}``, and single-letter names written
together (``dk`` is ``d·k``).

Example:
    >>> parse("k+(r-1)\\\\times(k+1)").syntax
    'latex'
    >>> show(parse("floor((n + 2*p - k)/s) + 1").tree)
    '(floor((((n + (2 * p)) - k) / s)) + 1)'
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction

from symconv.errors import FormulaError

SYNTAXES = ("sympy", "latex")

# Every function the formula languages know (scalar and tensor); a name in this
# set followed by "(" is a call, any other name followed by "(" a product.
FUNCTIONS = frozenset({
    "floor", "ceil", "ceiling", "max", "min", "abs", "mod",
    "conv", "pad", "crop", "dilate", "rot180", "sum", "hadamard", "dsigma",
})

# Other spellings accepted for a name, and the name they stand for.
ALIASES = {
    "Floor": "floor", "Ceil": "ceil", "Max": "max", "Min": "min", "Abs": "abs", "Mod": "mod",
    "rot_180": "rot180", "rot_{180}": "rot180",
    "C_in": "c_in", "C_out": "c_out", "X": "x", "w": "W", "δ": "delta",
}

# Multi-letter words a LaTeX letter run is read as whole (every other run is split into letters).
_WORDS = FUNCTIONS | {"delta", "stride", "padding", "dilation", "Floor", "Ceil", "Max", "Min", "Abs", "Mod"}

_UNICODE_OPS = {"−": "-", "×": "*", "·": "*", "⋅": "*", "∗": "*", "÷": "/", "⊙": "⊙"}
_UNICODE_BRACKETS = {"⌊": "lfloor", "⌋": "rfloor", "⌈": "lceil", "⌉": "rceil"}
_SIMPLE = {"(": "(", ")": ")", "[": "(", "]": ")", ",": ",", "=": "="}

_LATEX_IGNORED = frozenset({
    "left", "right", "big", "Big", "bigg", "Bigg", "bigl", "bigr", "Bigl", "Bigr",
    "biggl", "biggr", "Biggl", "Biggr", "middle", "displaystyle", "quad", "qquad",
})
_LATEX_OPS = {
    "cdot": "*", "times": "*", "ast": "*", "div": "/", "odot": "⊙", "bmod": "%", "mod": "%",
}
_LATEX_BRACKETS = {"lfloor": "lfloor", "rfloor": "rfloor", "lceil": "lceil", "rceil": "rceil"}
_LATEX_NAMES = {"delta": "delta", "max": "max", "min": "min", "sum": "sum"}
_LATEX_WORD_WRAPPERS = frozenset({
    "operatorname", "mathrm", "text", "textrm", "mathit", "mathbf", "boldsymbol", "bm", "mathsf",
})


class FormulaParseError(FormulaError):
    """A formula that cannot be read, with the position of the trouble.

    ``start``/``end`` index the formula as typed; :meth:`caret_lines` draws the
    formula with a caret under that span.
    """

    def __init__(self, formula: str, start: int, end: int, message: str) -> None:
        self.formula = formula
        self.start = max(0, min(start, len(formula)))
        self.end = max(self.start + 1, min(end, len(formula) + 1))
        self.message = message
        super().__init__(f"{message} (at column {self.start + 1} of {formula!r})")

    def caret_lines(self) -> list[str]:
        """The formula on one line and carets under the offending characters on the next."""
        shown = "".join(" " if c in "\t\r\n" else c for c in self.formula)
        return [shown, " " * self.start + "^" * (self.end - self.start)]


# -- tokens ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Token:
    """One token: ``kind`` is ``num``, ``name``, ``op`` (``text`` holds the operator), ``(``,
    ``)``, ``{``, ``}``, ``,``, ``=``, ``frac``, ``lfloor``, ``rfloor``, ``lceil``, ``rceil``
    or ``end``; ``start``/``end`` are positions in the formula as typed."""

    kind: str
    text: str
    start: int
    end: int


def detect_syntax(formula: str) -> str:
    """``latex`` when the formula has a backslash or a brace, else ``sympy``.

    Example:
        >>> detect_syntax(r"\\frac{n-k}{s}+1"), detect_syntax("(n-k)//s + 1")
        ('latex', 'sympy')
    """
    return "latex" if any(c in formula for c in "\\{}") else "sympy"


_NUMBER = re.compile(r"\d+(?:\.\d+)?")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _sympy_tokens(formula: str) -> list[Token]:
    tokens: list[Token] = []
    i = 0
    while i < len(formula):
        c = formula[i]
        if c.isspace():
            i += 1
        elif m := _NUMBER.match(formula, i):
            tokens.append(Token("num", m.group(), i, m.end()))
            i = m.end()
        elif m := _NAME.match(formula, i):
            tokens.append(Token("name", m.group(), i, m.end()))
            i = m.end()
        elif formula.startswith(("**", "//"), i):
            tokens.append(Token("op", "^" if formula[i] == "*" else "//", i, i + 2))
            i += 2
        elif c in "+-*/%^":
            tokens.append(Token("op", c, i, i + 1))
            i += 1
        elif c in _UNICODE_OPS:
            tokens.append(Token("op", _UNICODE_OPS[c], i, i + 1))
            i += 1
        elif c in _UNICODE_BRACKETS:
            tokens.append(Token(_UNICODE_BRACKETS[c], c, i, i + 1))
            i += 1
        elif c == "δ":
            tokens.append(Token("name", "delta", i, i + 1))
            i += 1
        elif c in _SIMPLE:
            tokens.append(Token(_SIMPLE[c], c, i, i + 1))
            i += 1
        else:
            raise FormulaParseError(formula, i, i + 1, f"unexpected character {c!r}")
    tokens.append(Token("end", "", len(formula), len(formula)))
    return tokens


# A layer superscript in LaTeX (no formula has a variable l): ^l, ^{l}, ^{l+1}, ^{(l-1)}.
_LAYER = re.compile(r"\^\s*(?:l(?![A-Za-z_])|\{\s*\(?\s*l\s*(?:[+-]\s*1\s*)?\)?\s*\})")


_PRIME = re.compile(r"'|\^\s*\{?\s*\\prime\s*\}?")  # σ' or σ^{\prime}


class _LatexLexer:
    """LaTeX → tokens. Letter runs that are not known words become one name per letter."""

    def __init__(self, formula: str) -> None:
        self.f = formula
        self.i = 0
        self.tokens: list[Token] = []

    def error(self, start: int, end: int, message: str) -> FormulaParseError:
        return FormulaParseError(self.f, start, end, message)

    def emit(self, kind: str, text: str, start: int, end: int) -> None:
        self.tokens.append(Token(kind, text, start, end))

    def run(self) -> list[Token]:
        f = self.f
        while self.i < len(f):
            c = f[self.i]
            start = self.i
            if c.isspace() or c == "~":
                self.i += 1
            elif c == "\\":
                self.command()
            elif m := _NUMBER.match(f, self.i):
                self.emit("num", m.group(), start, m.end())
                self.i = m.end()
            elif c.isalpha() and c.isascii():
                self.letters()
            elif c in "{}":
                self.emit(c, c, start, start + 1)
                self.i += 1
            elif (layer := _LAYER.match(f, self.i)) is not None:
                self.i = layer.end()  # δ^{l+1}, W^{l+1}, z^l: the note's layer index, not a power
            elif c in "+-*/^":
                self.emit("op", c, start, start + 1)
                self.i += 1
            elif c in _UNICODE_OPS:
                self.emit("op", _UNICODE_OPS[c], start, start + 1)
                self.i += 1
            elif c in _UNICODE_BRACKETS:
                self.emit(_UNICODE_BRACKETS[c], c, start, start + 1)
                self.i += 1
            elif c == "δ":
                self.emit("name", "delta", start, start + 1)
                self.i += 1
            elif c in _SIMPLE:
                self.emit(_SIMPLE[c], c, start, start + 1)
                self.i += 1
            else:
                raise self.error(start, start + 1, f"unexpected character {c!r}")
        self.emit("end", "", len(f), len(f))
        return self.tokens

    def command(self) -> None:
        f, start = self.f, self.i
        m = re.compile(r"\\([A-Za-z]+|.)").match(f, start)
        if m is None:
            raise self.error(start, start + 1, "a backslash must start a LaTeX command")
        word = m.group(1)
        self.i = m.end()
        if word in (",", ";", ":", "!", " "):
            return
        if word in ("{", "}"):  # \{ … \}: a group
            self.emit(word, word, start, self.i)
        elif word in _LATEX_IGNORED:
            if word in ("left", "right") and f.startswith(".", self.i):
                self.i += 1  # \left. and \right. are invisible delimiters
        elif word in ("frac", "dfrac", "tfrac"):
            self.emit("frac", m.group(), start, self.i)
        elif word in _LATEX_OPS:
            self.emit("op", _LATEX_OPS[word], start, self.i)
        elif word in _LATEX_BRACKETS:
            self.emit(_LATEX_BRACKETS[word], m.group(), start, self.i)
        elif word in _LATEX_NAMES:
            self.emit("name", _LATEX_NAMES[word], start, self.i)
        elif word == "sigma":  # σ'(A), the activation's derivative: \sigma'(z) or \sigma^{\prime}(z)
            prime = _PRIME.match(f, self.i)
            if prime is None:
                raise self.error(start, self.i, "σ itself is not in the formula language: its derivative is "
                                 "\\sigma'(z)")
            self.i = prime.end()
            self.emit("name", "dsigma", start, self.i)
        elif word in _LATEX_WORD_WRAPPERS:
            content, end = self.braced(word)
            text = content.replace("\\_", "_").strip()
            if not _NAME.fullmatch(text):
                raise self.error(start, end, f"\\{word}{{{content}}} is not a name")
            self.i = end
            sub = self.subscript()
            self.emit("name", text + ("_" + sub if sub else ""), start, self.i)
        else:
            raise self.error(start, self.i, f"unknown LaTeX command {m.group()}")

    def braced(self, word: str) -> tuple[str, int]:
        """The text of the ``{…}`` group at the cursor and the position after it."""
        f = self.f
        j = self.i
        while j < len(f) and f[j].isspace():
            j += 1
        if j >= len(f) or f[j] != "{":
            raise self.error(self.i - len(word) - 1, self.i, f"expected {{…}} after \\{word}")
        depth, k = 0, j
        while k < len(f):
            if f[k] == "{":
                depth += 1
            elif f[k] == "}":
                depth -= 1
                if depth == 0:
                    return f[j + 1:k], k + 1
            k += 1
        raise self.error(j, j + 1, "this { is never closed")

    def subscript(self) -> str:
        """A subscript at the cursor (``_1``, ``_{in}``, ``_{\\text{out}}``) without the ``_``, or ''."""
        f = self.f
        if not f.startswith("_", self.i):
            return ""
        start = self.i
        self.i += 1
        if f.startswith("{", self.i):
            content, end = self.braced("_")
            self.i = end
            text = re.sub(r"\\(?:text|mathrm|textrm|mathit|rm)\s*\{([^{}]*)\}", r"\1", content)
            text = text.replace("\\rm", "").replace(" ", "")
        elif self.i < len(f) and (f[self.i].isalnum()):
            text = f[self.i]
            self.i += 1
        else:
            raise self.error(start, start + 1, "expected a subscript after _")
        if not re.fullmatch(r"[A-Za-z0-9]+", text):
            raise self.error(start, self.i, f"the subscript {text!r} is not letters or digits")
        return text

    def letters(self) -> None:
        f, start = self.f, self.i
        m = re.compile(r"[A-Za-z]+").match(f, start)
        assert m is not None
        run = m.group()
        self.i = m.end()
        digits = re.compile(r"\d+").match(f, self.i)
        if digits and run + digits.group() in _WORDS:  # rot180
            self.i = digits.end()
            self.emit("name", run + digits.group(), start, self.i)
            return
        sub = self.subscript()
        if sub:
            whole = f"{run}_{sub}"
            if whole in ALIASES or run in _WORDS:
                self.emit("name", whole, start, self.i)
                return
            for j, letter in enumerate(run[:-1]):
                self.emit("name", letter, start + j, start + j + 1)
            self.emit("name", f"{run[-1]}_{sub}", start + len(run) - 1, self.i)
        elif run in _WORDS:
            self.emit("name", run, start, self.i)
        else:
            for j, letter in enumerate(run):
                self.emit("name", letter, start + j, start + j + 1)


def tokenize(formula: str, syntax: str) -> list[Token]:
    """The tokens of ``formula`` read in ``syntax`` (``sympy`` or ``latex``)."""
    return _LatexLexer(formula).run() if syntax == "latex" else _sympy_tokens(formula)


# -- the tree ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Node:
    """A node of the formula's tree; ``start``/``end`` span its text in the formula."""

    start: int
    end: int


@dataclass(frozen=True)
class Num(Node):
    value: Fraction


@dataclass(frozen=True)
class Name(Node):
    id: str  # canonical spelling (aliases resolved)
    typed: str  # as written


@dataclass(frozen=True)
class BinOp(Node):
    op: str  # + - * / // % ^ ⊙
    left: Node
    right: Node


@dataclass(frozen=True)
class Neg(Node):
    operand: Node


@dataclass(frozen=True)
class Call(Node):
    func: str  # canonical spelling
    typed: str
    name_end: int  # where the function's name ends, for errors about the name
    args: tuple[Node, ...]
    kwargs: tuple[tuple[str, Node], ...]


@dataclass(frozen=True)
class Tuple(Node):
    items: tuple[Node, ...]


@dataclass(frozen=True)
class Parsed:
    """A parsed formula: the text, the syntax it was read in, and its tree."""

    formula: str
    syntax: str
    tree: Node

    def error(self, node: Node, message: str) -> FormulaParseError:
        """An error pointing at ``node``'s text."""
        return FormulaParseError(self.formula, node.start, node.end, message)


def canonical(name: str) -> str:
    """A name's canonical spelling: ``C_in`` → ``c_in``, ``Max`` → ``max``."""
    return ALIASES.get(name, name)


LONG_SUM = 16
"""A sum of more terms is kept as a balanced tree: its depth grows with the log of its length."""


def _fold(first: Node, run: list[tuple[str, int, Node]]) -> Node:
    """``first`` followed by the run of ``+``/``−`` terms: left to right as written, or — for a long
    sum — balanced, each subtracted term a negation, so that depth is not length (the same value:
    + is associative on exact numbers and on tensors)."""
    if len(run) < LONG_SUM:
        for op, _, term in run:
            first = BinOp(first.start, term.end, op, first, term)
        return first
    terms = [first] + [term if op == "+" else Neg(start, term.end, term) for op, start, term in run]

    def balanced(items: list[Node]) -> Node:
        if len(items) == 1:
            return items[0]
        left, right = balanced(items[: len(items) // 2]), balanced(items[len(items) // 2 :])
        return BinOp(left.start, right.end, "+", left, right)

    return balanced(terms)


_BINARY = {"+": 10, "-": 10, "*": 20, "/": 20, "//": 20, "%": 20, "⊙": 20, "^": 40}
_IMPLICIT = 20  # juxtaposition multiplies, as tightly as *
_UNARY = 30  # -a^2 is -(a^2); -a*b is (-a)*b, the same value
_STARTS_OPERAND = frozenset({"num", "name", "(", "{", "frac", "lfloor", "lceil"})
_CLOSERS = {"(": ")", "{": "}", "lfloor": "rfloor", "lceil": "rceil"}
_SHOW_CLOSER = {")": "')'", "}": "'}'", "rfloor": "⌋ (\\rfloor)", "rceil": "⌉ (\\rceil)"}


class _Parser:
    """A Pratt parser over the tokens; every node records the span of its text."""

    def __init__(self, formula: str, syntax: str) -> None:
        self.formula = formula
        self.syntax = syntax
        self.tokens = tokenize(formula, syntax)
        self.k = 0

    @property
    def tok(self) -> Token:
        return self.tokens[self.k]

    def next(self) -> Token:
        t = self.tokens[self.k]
        self.k += 1
        return t

    def error(self, start: int, end: int, message: str) -> FormulaParseError:
        return FormulaParseError(self.formula, start, end, message)

    def unexpected(self, t: Token, wanted: str) -> FormulaParseError:
        if t.kind == "end":
            return self.error(t.start, t.start + 1, f"the formula ends too early: expected {wanted}")
        return self.error(t.start, t.end, f"unexpected {t.text!r}: expected {wanted}")

    def parse(self) -> Node:
        if self.tok.kind == "end":
            raise self.error(0, 1, "the formula is empty")
        node = self.expression(0)
        t = self.tok
        if t.kind != "end":
            if t.kind == "=":
                raise self.error(t.start, t.end, "unexpected '=': give only the right-hand side")
            if t.kind in (")", "}", "rfloor", "rceil"):
                raise self.error(t.start, t.end, f"unexpected {t.text!r}: nothing is open here")
            raise self.unexpected(t, "an operator or the end of the formula")
        return node

    def expression(self, bp: int) -> Node:
        left = self.prefix()
        run: list[tuple[str, int, Node]] = []  # a run of + and − after left: (op, its start, term)
        while True:
            t = self.tok
            if t.kind == "op" and t.text in _BINARY:
                power = _BINARY[t.text]
                if power <= bp:
                    break
                self.next()
                right = self.expression(power - 1 if t.text == "^" else power)  # ^ is right-associative
                if t.text in ("+", "-"):
                    run.append((t.text, t.start, right))
                    continue
                left = _fold(left, run)
                run = []
                left = BinOp(left.start, right.end, t.text, left, right)
            elif t.kind in _STARTS_OPERAND:
                if bp >= _IMPLICIT:
                    break
                right = self.expression(_IMPLICIT)
                left = _fold(left, run)
                run = []
                left = BinOp(left.start, right.end, "*", left, right)
            else:
                break
        return _fold(left, run)

    def prefix(self) -> Node:
        t = self.next()
        if t.kind == "op" and t.text in "+-":
            operand = self.expression(_UNARY)
            return operand if t.text == "+" else Neg(t.start, operand.end, operand)
        if t.kind == "num":
            return Num(t.start, t.end, Fraction(t.text))
        if t.kind == "name":
            return self.name(t)
        if t.kind in ("(", "{"):
            return self.group(t)
        if t.kind in ("lfloor", "lceil"):
            inner = self.expression(0)
            close = self.expect(_CLOSERS[t.kind], t)
            func = "floor" if t.kind == "lfloor" else "ceil"
            return Call(t.start, close.end, func, t.text, t.end, (inner,), ())
        if t.kind == "frac":
            top = self.frac_part(t)
            bottom = self.frac_part(t)
            return BinOp(t.start, bottom.end, "/", top, bottom)
        raise self.unexpected(t, "a number, a name or '('")

    def expect(self, kind: str, opener: Token) -> Token:
        t = self.tok
        if t.kind != kind:
            closer = _SHOW_CLOSER[kind]
            if t.kind == "end":
                raise self.error(
                    opener.start, opener.end, f"this {opener.text!r} is never closed: expected {closer}"
                )
            raise self.error(
                t.start, t.end,
                f"unexpected {t.text!r}: expected {closer} to close the {opener.text!r} at column "
                f"{opener.start + 1}",
            )
        return self.next()

    def group(self, opener: Token) -> Node:
        close = _CLOSERS[opener.kind]
        if self.tok.kind == close:
            raise self.error(opener.start, self.tok.end, "empty parentheses")
        items = [self.expression(0)]
        comma = False
        while opener.kind == "(" and self.tok.kind == ",":
            self.next()
            comma = True
            if self.tok.kind == close:
                break
            items.append(self.expression(0))
        end = self.expect(close, opener).end
        if not comma:
            # Keep the parentheses in the span, so errors about the group point at all of it.
            return _respan(items[0], opener.start, end)
        return Tuple(opener.start, end, tuple(items))

    def frac_part(self, frac: Token) -> Node:
        t = self.tok
        if t.kind == "{":
            return self.group(self.next())
        if t.kind in ("num", "name"):
            self.next()
            if t.kind == "num":
                if self.syntax == "latex" and t.text.isdigit() and len(t.text) > 1:
                    # \frac12 is 1/2: a bare argument is one character; leave the rest for later
                    self.k -= 1
                    self.tokens[self.k] = Token("num", t.text[1:], t.start + 1, t.end)
                    return Num(t.start, t.start + 1, Fraction(t.text[0]))
                return Num(t.start, t.end, Fraction(t.text))
            return Name(t.start, t.end, canonical(t.text), t.text)
        raise self.unexpected(t, f"{{…}} after {frac.text}")

    def name(self, t: Token) -> Node:
        func = canonical(t.text)
        if self.tok.kind == "(" and (func in FUNCTIONS or (len(t.text) > 1 and "_" not in t.text
                                                              and func not in ("delta", "c_in", "c_out"))):
            return self.call(t, func)
        if func in FUNCTIONS:
            if self.syntax == "latex" and self.tok.kind in _STARTS_OPERAND:
                arg = self.expression(_UNARY)  # \max x, \operatorname{rot180} W
                return Call(t.start, arg.end, func, t.text, t.end, (arg,), ())
            raise self.error(t.start, t.end, f"{t.text} is a function: write {t.text}(…)")
        return Name(t.start, t.end, func, t.text)

    def call(self, t: Token, func: str) -> Node:
        self.next()  # the (
        args: list[Node] = []
        kwargs: list[tuple[str, Node]] = []
        while self.tok.kind != ")":
            if self.tok.kind == "name" and self.tokens[self.k + 1].kind == "=":
                key = self.next()
                self.next()
                if any(k == key.text for k, _ in kwargs):
                    raise self.error(key.start, key.end, f"{key.text}= is given twice")
                kwargs.append((key.text, self.expression(0)))
            else:
                if kwargs:
                    raise self.error(
                        self.tok.start, self.tok.end, "a positional argument cannot follow key=value"
                    )
                args.append(self.expression(0))
            if self.tok.kind == ",":
                self.next()
            elif self.tok.kind != ")":
                raise self.unexpected(self.tok, f"',' or ')' to close the {t.text}( at column {t.start + 1}")
        close = self.next()
        return Call(t.start, close.end, func, t.text, t.end, tuple(args), tuple(kwargs))


def _respan(node: Node, start: int, end: int) -> Node:
    """``node`` with its span widened to ``start``…``end``."""
    fields = dict(node.__dict__, start=start, end=end)
    return type(node)(**fields)


def parse(formula: str, syntax: str | None = None) -> Parsed:
    """Parse ``formula`` (syntax detected when None); raises FormulaParseError with the position."""
    if not isinstance(formula, str):
        raise FormulaError(f"the formula must be a string, not {type(formula).__name__}")
    chosen = detect_syntax(formula) if syntax is None else syntax
    if chosen not in SYNTAXES:
        raise FormulaError(f"unknown syntax {syntax!r}: use one of {', '.join(SYNTAXES)}")
    return Parsed(formula, chosen, _Parser(formula, chosen).parse())


def show(node: Node) -> str:
    """The tree written out with every operation parenthesised (for tests and debugging)."""
    if isinstance(node, Num):
        return str(node.value)
    if isinstance(node, Name):
        return node.id
    if isinstance(node, Neg):
        return f"(-{show(node.operand)})"
    if isinstance(node, BinOp):
        return f"({show(node.left)} {node.op} {show(node.right)})"
    if isinstance(node, Tuple):
        return "(" + ", ".join(show(i) for i in node.items) + ")"
    assert isinstance(node, Call)
    parts = [show(a) for a in node.args] + [f"{k}={show(v)}" for k, v in node.kwargs]
    return f"{node.func}({', '.join(parts)})"

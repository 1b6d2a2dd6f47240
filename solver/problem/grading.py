"""A problem's ``grading`` block: how students' numbers are marked (``nnsolve grade``) and
what tolerance an exported question uses (``nnsolve export``).

```yaml
grading:
  tolerance: {relative: 0.01}          # or {absolute: 0.005}, or {sigfigs: 3}
  points: {default: 1, L: 2, update: 0.5}   # by answer name (``of``) or answer kind
  carried_forward: 0.8                 # share of the points for an answer right from the student's
                                       # own earlier values (error carried forward)
  misconceptions: true                 # recognise the catalogue's slips, with partial credit
```

Every field has a default: the key's displayed rounding, 1 point an answer, 0.8, true.
"""


from fractions import Fraction
from typing import TYPE_CHECKING, Annotated

from msgspec import Meta, field

from .fields import Model, Number, described, written

if TYPE_CHECKING:
    from ..core.tolerance import Tolerance


class ToleranceSpec(Model, kw_only=True):
    """Exactly one of ``absolute``, ``relative`` or ``sigfigs``."""

    absolute: described(Number | None, "|x - v| at most this") = None
    relative: described(Number | None, "|x - v| at most this share of |v| (0.01: 1%)") = None
    sigfigs: described(Annotated[int, Meta(ge=1, le=15)] | None, "right to this many significant figures, "
                       "one unit of slack in the last (STACK's rule)") = None

    def __post_init__(self) -> None:
        given = [k for k in ("absolute", "relative", "sigfigs") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError("give one of absolute, relative or sigfigs (for example relative: 0.01)")
        for k in ("absolute", "relative"):
            v = getattr(self, k)
            if v is not None and v < 0:
                raise ValueError(f"{k}: must be at least 0 (got {written(v)})")

    def rule(self) -> "Tolerance":
        from ..core.tolerance import Tolerance  # marking only (grade, export)

        if self.sigfigs is not None:
            return Tolerance("sigfigs", self.sigfigs)
        kind = "absolute" if self.absolute is not None else "relative"
        value = getattr(self, kind)
        return Tolerance(kind, Fraction(int(value.p), int(value.q)))


class Grading(Model, kw_only=True):
    """How answers are marked; see the module's docstring."""

    tolerance: ToleranceSpec | None = None
    points: described(Annotated[dict[str, Number], Meta(max_length=500)],
                      "points by answer name or kind; 'default' for the rest") = field(default_factory=dict)
    carried_forward: described(Number | None, "share of the points for an answer right from the student's "
                                               "own earlier answers (default 0.8)") = None
    misconceptions: described(bool | dict[str, Number], "recognise the catalogue's slips (true: each at its "
                                                        "default credit; a mapping: slip name → share of the "
                                                        "points)") = True

    def __post_init__(self) -> None:
        for name, v in self.points.items():
            if v < 0:
                raise ValueError(f"points: {name} must be at least 0 (got {written(v)})")
        if self.carried_forward is not None and not 0 <= self.carried_forward <= 1:
            raise ValueError(f"carried_forward: must be from 0 to 1 (got {written(self.carried_forward)})")

    def rule(self) -> "Tolerance":
        """The tolerance rule (the key's displayed rounding when none is given)."""
        from ..core.tolerance import Tolerance

        return self.tolerance.rule() if self.tolerance is not None else Tolerance()

    def share_carried(self) -> Fraction:
        """The carried-forward share (0.8 by default)."""
        c = self.carried_forward
        return Fraction(4, 5) if c is None else Fraction(int(c.p), int(c.q))

    def points_for(self, kind: str, of: str) -> Fraction:
        """An answer's points: by its name, else its kind, else ``default``, else 1."""
        for key in (of, kind, "default"):
            if key in self.points:
                v = self.points[key]
                return Fraction(int(v.p), int(v.q))
        return Fraction(1)

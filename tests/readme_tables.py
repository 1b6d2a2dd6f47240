"""The README's tables of activations, losses, optimizers and output formats, written
from the registries. ``test_architecture.py`` checks that README.md holds them as
written here; after adding an entry, update README.md with::

    python tests/readme_tables.py --write
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
MARK = re.compile(r"(<!-- table:(\w+) -->\n)(.*?)(<!-- /table -->)", re.S)


def _number(v) -> str:
    from solver.core.numbers import display

    return display(v, 15).text


def _params(params) -> str:
    return ", ".join(f"`{p.name}`" + (f" = {_number(p.default)}" if p.default is not None else " (required)")
                     for p in params) or "—"


def activations() -> str:
    from solver.ops.activations import ACTIVATIONS

    rows = ["| activation | also | parameters | where | source |", "|---|---|---|---|---|"]
    for act in dict.fromkeys(ACTIVATIONS.values()):
        where = ", ".join(w for w in ("hidden", "output", "graph") if w in act.where)
        also = ", ".join(f"`{a}`" for a in act.aliases) or "—"
        rows.append(f"| `{act.key}` | {also} | {_params(act.params)} | {where} | {act.source} |")
    return "\n".join(rows) + "\n"


def losses() -> str:
    from solver.ops.losses import LOSSES

    rows = ["| loss | reduction (default first) | parameters | outputs | source |", "|---|---|---|---|---|"]
    for loss in LOSSES.values():
        red = ", ".join(f"`{r}`" for r in loss.reductions)
        outputs = "probabilities" if loss.needs_probabilities else "any"
        rows.append(f"| `{loss.key}` | {red} | {_params(loss.params)} | {outputs} | {loss.source} |")
    return "\n".join(rows) + "\n"


def optimizers() -> str:
    from solver.ops.optimizers import OPTIMIZERS

    rows = ["| optimizer | hyper-parameters | state | source |", "|---|---|---|---|"]
    for opt in OPTIMIZERS.values():
        state = ", ".join(f"${tex}$" for _, tex in opt.state) or "—"
        flags = getattr(opt, "flags", ())
        source = "; ".join([opt.source] + [f.source for f in flags if f.source])
        rows.append(f"| `{opt.key}` | {_params(opt.params)}{''.join(f', `{f.name}` = false' for f in flags)} "
                    f"| {state} | {source} |")
    return "\n".join(rows) + "\n"


def formats() -> str:
    from solver.render.formats import FORMATS

    rows = ["| `-f` | file | what |", "|---|---|---|"]
    for f in FORMATS.values():
        rows.append(f"| `{f.name}` | `<stem>.{f.extension}` | {f.help} |")
    return "\n".join(rows) + "\n"


TABLES = {"activations": activations, "losses": losses, "optimizers": optimizers, "formats": formats}


def readme_tables(text: str) -> dict[str, str]:
    """The tables README.md holds, by name."""
    return {m.group(2): m.group(3) for m in MARK.finditer(text)}


def write() -> None:
    text = README.read_text(encoding="utf-8")
    text = MARK.sub(lambda m: m.group(1) + TABLES[m.group(2)]() + m.group(4), text)
    README.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    if "--write" in sys.argv:
        write()
    else:
        for name, make in TABLES.items():
            print(f"<!-- table:{name} -->\n{make()}<!-- /table -->\n")

"""What the generator planted, as a JSON-serialisable record (``truth.json`` beside the zips).

Expected counts are over *cases*: the latest version of every case, cases on a Deleted
list removed (the FDA rule, FACTS.md §1.5). A report counts as exposed when voclosporin
is a suspect drug (PS or SS) and as an event report when the PT is among its reactions;
``a, b, c, d`` are the 2×2 cells of FACTS.md §2 and ``ror = a·d / (b·c)``.

``pair_lambda`` holds the true relative reporting ratio λ of every background
(ingredient, PT) pair (:mod:`pvsignal.synth.pairs`): ``lambda[i][j]`` for ``drugs[i]``,
``events[j]``, one row per ingredient; ``elevated`` lists ``i·len(events) + j`` of the pairs
drawn from the elevated component. :meth:`SynthTruth.pair_lambda_table` gives it as a
long table ready to join to a signal table.

``tail`` (only when ``Plan.tail_ingredients`` or ``Plan.tail_pts`` is set; absent
otherwise, so a corpus without tail keeps its former ``truth.json``) describes the long tail
of rare synthetic drugs and PTs (:mod:`pvsignal.synth.tail`): its parameters, totals and
the names in popularity order. Every pair with a tail drug or a tail PT has λ = 1; such
pairs are not in ``pair_lambda``. ``drug_names`` then maps the tail's drug names too.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

import pvsignal.synth.vocab as vocab
from pvsignal.synth.pairs import DIGITS


@dataclass
class SynthTruth:
    """Everything needed to check an analysis of the synthetic corpus against the plan."""

    seed: int
    quarters: list[str]
    reports_per_quarter: int
    quirks_enabled: bool
    plan: dict
    files: list[dict] = field(default_factory=list)
    cases: dict = field(default_factory=dict)
    deleted: dict = field(default_factory=dict)
    signals: list[dict] = field(default_factory=list)
    interaction: dict = field(default_factory=dict)
    onset: dict = field(default_factory=dict)
    confounded_pairs: list[dict] = field(default_factory=list)
    per_quarter: list[dict] = field(default_factory=list)
    quirks: list[dict] = field(default_factory=list)
    drug_names: dict[str, str] = field(default_factory=dict)
    pair_lambda: dict = field(default_factory=dict)
    #: the long tail of rare drugs and PTs (:mod:`pvsignal.synth.tail`); empty (and left out of
    #: ``truth.json``) when the tail is off
    tail: dict = field(default_factory=dict)
    synthetic: bool = True

    def to_dict(self) -> dict:
        return asdict(self)

    def write(self, path: Path) -> None:
        """JSON, indented; the λ matrix one line per ingredient (it has ~80 000 numbers), the
        elevated pairs and the tail's name lists on one line each."""
        d = self.to_dict()
        if not d["tail"]:
            del d["tail"]  # a corpus without tail keeps the truth.json it had before the tail existed
        compact = {}
        for key in ("lambda", "elevated", "ingredient_names", "pt_names"):
            part = "tail" if key.endswith("_names") else "pair_lambda"
            if d.get(part, {}).get(key):
                token = f"@@pvsignal-synth-{key}@@"
                rows = d[part][key]
                compact[json.dumps(token)] = (
                    "[\n" + ",\n".join(json.dumps(r, separators=(",", ":")) for r in rows) + "\n]"
                    if key == "lambda" else json.dumps(rows, separators=(",", ":")))
                d[part][key] = token
        text = json.dumps(d, indent=1, ensure_ascii=True)
        for token, value in compact.items():
            text = text.replace(token, value, 1)
        path.write_text(text + "\n", encoding="utf-8")

    @classmethod
    def read(cls, path: str | Path) -> SynthTruth:
        return cls(**json.loads(Path(path).read_text(encoding="utf-8")))

    def pair_lambda_table(self):
        """True λ of every (ingredient, PT) pair as a DataFrame, one row per pair.

        Columns: ``drug`` (ingredient), ``event`` (PT upper case, as the lake stores it),
        ``pt`` (MedDRA spelling), ``true_lambda``, ``elevated`` (drawn from the elevated
        component) and ``kind``: ``planted`` (voclosporin–headache/tremor; ``true_lambda``
        is then the planted relative risk over cases, (a/(a+b)) / (c/(c+d)) of the expected
        2×2), ``confounded`` (``confounded_pairs``: λ of the matrix, but co-reporting with
        voclosporin raises the observed ratio) or ``background``. With heterogeneity off,
        background λ = 1.
        """
        import pandas as pd

        pl = self.pair_lambda
        drugs = pl.get("drugs") or [i.name for i in vocab.INGREDIENTS]
        events = pl.get("events") or list(vocab.PTS)
        lam = np.asarray(pl["lambda"], dtype=float) if pl.get("lambda") else np.ones((len(drugs), len(events)))
        elevated = np.zeros(lam.size, dtype=bool)
        elevated[np.asarray(pl.get("elevated") or [], dtype=np.int64)] = True
        t = pd.DataFrame({
            "drug": np.repeat(drugs, len(events)),
            "pt": np.tile(events, len(drugs)),
            "true_lambda": lam.ravel(),
            "elevated": elevated,
            "kind": "background",
        })
        t.insert(1, "event", t.pt.str.upper())
        conf = {(c["drug"], c["event"]) for c in self.confounded_pairs}
        t.loc[[(d, e) in conf for d, e in zip(t.drug, t.pt)], "kind"] = "confounded"
        for s in self.signals:
            at = (t.drug == s["drug"]) & (t.pt == s["event"])
            x = s["expected"]
            t.loc[at, "kind"] = "planted"
            t.loc[at, "true_lambda"] = (x["a"] / (x["a"] + x["b"])) / (x["c"] / (x["c"] + x["d"]))
        return t

    def reference_set(self, background: int = 0):
        """Planted positive and negative controls, in the generic reference-set layout.

        Columns ``drug``, ``outcome`` (a PT, MedDRA spelling), ``control`` (1/0), ``kind``.
        Positives: the planted pairs (VOCLOSPORIN–Headache, –Tremor). Negatives:
        VOCLOSPORIN with every other PT — its λ row is fixed at 1 and its reports are a
        uniform random subset, so those pairs are independent by construction.
        ``background=k`` adds the k background pairs of highest true λ drawn from the elevated
        component (positives) and the k non-elevated pairs whose λ is closest to 1 (negatives);
        confounded pairs are never controls. Outcomes map to PTs by :meth:`outcome_groups`.
        """
        import pandas as pd

        t = self.pair_lambda_table()
        voc = t[t["drug"] == "VOCLOSPORIN"]
        pos = voc[voc["kind"] == "planted"].assign(control=1, kind="planted")
        neg = voc[voc["kind"] != "planted"].assign(control=0, kind="planted")
        frames = [pos, neg]
        if background:
            bg = t[(t["kind"] == "background") & (t["drug"] != "VOCLOSPORIN")]
            hi = bg[bg["elevated"]].sort_values(["true_lambda", "drug", "pt"], ascending=[False, True, True])
            dist = (np.log(bg["true_lambda"])).abs()
            lo = bg[~bg["elevated"]].assign(_d=dist).sort_values(["_d", "drug", "pt"])
            frames += [hi.head(background).assign(control=1), lo.head(background).assign(control=0)]
        ref = pd.concat(frames, ignore_index=True)
        return pd.DataFrame({"drug": ref["drug"], "outcome": ref["pt"], "control": ref["control"].astype(int),
                             "kind": ref["kind"]})

    def outcome_groups(self, reference) -> dict[str, list[str]]:
        """``{outcome: [PT]}`` for a :meth:`reference_set` (each outcome is one PT), ready for a
        groups YAML (``groups:`` this mapping)."""
        return {o: [o] for o in dict.fromkeys(reference["outcome"])}

    def signal(self, event: str) -> dict:
        """The planted signal for ``event`` (e.g. ``'Headache'``)."""
        for s in self.signals:
            if s["event"].lower() == event.lower():
                return s
        raise KeyError(event)


def two_by_two(exposed: np.ndarray, event: np.ndarray) -> dict:
    """Cells a, b, c, d and ROR = ad/bc over boolean arrays of cases."""
    a = int((exposed & event).sum())
    b = int((exposed & ~event).sum())
    c = int((~exposed & event).sum())
    d = int((~exposed & ~event).sum())
    ror = (a * d) / (b * c) if b and c else float("nan")
    return {"a": a, "b": b, "c": c, "d": d, "ror": ror}


def pair_lambda_record(plan, lam: np.ndarray | None, elevated: np.ndarray | None) -> dict:
    """The ``pair_lambda`` block of the truth: definition, parameters, λ matrix, summary."""
    drugs = [i.name for i in vocab.INGREDIENTS]
    rec = {
        "enabled": lam is not None,
        "definition": "lambda[i][j] = P(PT j drawn | ingredient i the only suspect) / P(PT j drawn), per PT draw; "
                      "a report's PT weights are w_j * prod(lambda[i][j]) over its distinct suspect (PS, SS) "
                      "ingredients, renormalised. Report-level ratios (cases with the PT) are somewhat lower at "
                      "high lambda (a PT is counted once per report; pooled n/E about 0.85*lambda for "
                      "lambda >= 3). Planted and confounded pairs: see signals, "
                      "confounded_pairs.",
        "roles": ["PS", "SS"],
        "distribution": {
            "bulk": f"ln(lambda) ~ Normal(0, {plan.pair_sd}^2)",
            "elevated": f"share {plan.elevated_share}: ln(lambda) ~ Normal(ln {plan.elevated_median}, "
                        f"{plan.elevated_sd}^2)",
            "rescaling": "iterative proportional fitting: PT-weighted row means and drug-weighted column means = 1",
            "significant_digits": DIGITS,
            "pair_sd": plan.pair_sd, "elevated_share": plan.elevated_share,
            "elevated_median": plan.elevated_median, "elevated_sd": plan.elevated_sd,
        },
        "drugs": drugs,
        "events": list(vocab.PTS),
        "fixed_rows": ["VOCLOSPORIN"],
        "lambda": None,
        "elevated": [],
        "summary": {},
    }
    if lam is None:
        rec["definition"] = "pair heterogeneity off: every background pair has lambda = 1 (PTs independent of drugs)"
        return rec
    rec["lambda"] = lam.tolist()
    rec["elevated"] = np.flatnonzero(elevated.ravel()).tolist()
    free = np.array([d != "VOCLOSPORIN" for d in drugs])
    v, e = lam[free], elevated[free]
    rec["summary"] = {
        "pairs": int(v.size), "elevated_pairs": int(e.sum()),
        "median_lambda_bulk": float(np.median(v[~e])),
        "median_lambda_elevated": float(np.median(v[e])) if e.any() else None,
        "share_lambda_ge_1_5": float((v >= 1.5).mean()), "share_lambda_ge_2": float((v >= 2).mean()),
        "quantiles_lambda": {str(q): float(np.quantile(v, q)) for q in (0.01, 0.1, 0.5, 0.9, 0.99)},
    }
    return rec

"""The incidence table in the layout a clinical study report uses: one column block per arm.

:func:`wide` turns the long table of :func:`pvsignal.trial.incidence.incidence` (one row
per term × arm) into one row per term (SOC, PT, or the overall row; × severity grade when
counted by severity), in the long table's order, with for every arm, in arm order:

* ``<arm> (N=<N>) n``, ``… %`` and ``… n (%)`` (text such as "27 (15.0%)"; "NE" when N = 0);
* for each arm other than the control, against the control: ``<arm> vs <control> RD``,
  ``RD lower``, ``RD upper`` (percentage points), ``RR``, ``RR lower``, ``RR upper`` and
  ``Fisher p`` — the same numbers as the long table's ``rd`` … ``p_fisher`` columns.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

KEYS = ["level", "AEBODSYS", "AEDECOD"]
COMPARE = {"rd": "RD", "rd_lower": "RD lower", "rd_upper": "RD upper", "rr": "RR", "rr_lower": "RR lower",
           "rr_upper": "RR upper", "p_fisher": "Fisher p"}


def n_pct(n: pd.Series, pct: pd.Series) -> pd.Series:
    """'n (p%)' with one decimal; 'n (NE)' when the percentage is undefined (N = 0)."""
    p = pct.map(lambda x: "NE" if pd.isna(x) else f"{x:.1f}%")
    return n.astype(int).astype(str) + " (" + p + ")"


def wide(result) -> pd.DataFrame:
    """One row per term, one column block per arm (see the module docstring)."""
    t = result.table
    keys = KEYS + (["severity"] if "severity" in t.columns else [])
    arms = list(result.population["arm"])
    N = dict(zip(result.population["arm"], result.population["N"]))
    control = result.parameters.get("control")
    rows = t[keys].drop_duplicates().reset_index(drop=True)
    idx = pd.MultiIndex.from_frame(rows)
    out = rows.copy()
    for arm in arms:
        sub = t[t["arm"] == arm].set_index(keys).reindex(idx)
        head = f"{arm} (N={N[arm]})"
        out[f"{head} n"] = sub["n"].to_numpy(np.int64)
        out[f"{head} %"] = sub["pct"].to_numpy(float)
        out[f"{head} n (%)"] = n_pct(sub["n"], sub["pct"]).to_numpy()
        if control is not None and arm != control:
            for col, label in COMPARE.items():
                out[f"{arm} vs {control} {label}"] = sub[col].to_numpy()
    return out

"""The MGPS estimator: fit the prior, then score pairs (scikit-learn/lifelines-like shape)."""

from __future__ import annotations

from typing import Sequence

import pandas as pd

from pvsignal.errors import AnalysisError
from pvsignal.stats.mgps.fit import fit_prior
from pvsignal.stats.mgps.posterior import ebgm_scores


class MGPS:
    """Estimator shape (scikit-learn/lifelines-like): ``fit`` the prior, then ``score`` pairs.

    >>> model = MGPS().fit(n, E)          # doctest: +SKIP
    >>> model.prior_, model.fit_.loglik    # doctest: +SKIP
    >>> model.score(n, E)                  # DataFrame: qn, ebgm, eb05, eb95  # doctest: +SKIP
    """

    def __init__(self, *, squash="auto", starts=None, n_star: int | None = 1,
                 quantiles: Sequence[float] = (0.05, 0.95)):
        self.squash = squash
        self.starts = starts
        self.n_star = n_star
        self.quantiles = tuple(quantiles)

    def fit(self, n, E, weight=None) -> "MGPS":
        """Fit the prior by :func:`~pvsignal.stats.mgps.fit.fit_prior`; sets ``fit_`` and ``prior_``."""
        self.fit_ = fit_prior(n, E, weight=weight, squash=self.squash, starts=self.starts, n_star=self.n_star)
        self.prior_ = self.fit_.prior
        return self

    def score(self, n, E) -> pd.DataFrame:
        """``qn, ebgm, eb05, eb95`` per pair (:func:`~pvsignal.stats.mgps.posterior.ebgm_scores`)."""
        if not hasattr(self, "prior_"):
            raise AnalysisError("MGPS.score called before fit; call fit(n, E) first.")
        return ebgm_scores(n, E, self.prior_, quantiles=self.quantiles)

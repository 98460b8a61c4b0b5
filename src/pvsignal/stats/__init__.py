"""Pure statistics over count arrays: numpy/scipy, no I/O, nothing of pvsignal but errors.

Where a new statistic goes: in the module of its family, one public function over arrays,
returning a typed result (:class:`~pvsignal.stats.estimates.RatioEstimate` for a ratio)
whose undefined values carry a code of :mod:`~pvsignal.stats.reasons`.

* ``estimates`` — checked counts, z, the one log-normal interval, RatioEstimate;
  ``reasons`` — the one registry of reasons a value is undefined;
* ``ratios`` (ROR, PRR, χ², E, the classic score table), ``bcpnn`` (IC), ``fisher``
  (exact test, Benjamini–Hochberg), ``stratified`` (Mantel–Haenszel, Breslow–Day),
  ``risk`` (RR, RD, the trial's comparison columns), ``omega`` (drug–drug interaction),
  ``weibull`` (time to onset), ``flags`` (signal criteria);
* ``mgps/`` — EBGM along openEBGM's seams: likelihood, fit, posterior, squashing.
"""

"""Pure statistics over count arrays: numpy/scipy, no I/O, nothing of pvsignal but errors.

``ratios`` (ROR, PRR, χ², RR, RD), ``bcpnn`` (IC), ``fisher``, ``stratified``
(Mantel–Haenszel, Breslow–Day), ``mgps`` (EBGM), ``squashing``, ``flags``.
"""

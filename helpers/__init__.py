"""Shared code for the normalizing-flow tutorial notebooks.

One module per concern: ``datasets`` (data with exact densities), ``baselines``
(reference density estimators), ``evaluation`` (held-out scores, metrics JSON),
``plotting`` (figures), ``validation`` (parameter checks) and
``notebook_setup`` (quiet logs, PNG figures, versions, seeds). The lesson's own
code, the bijectors and models, stays in the notebooks.
"""

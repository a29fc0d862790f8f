"""Reproducibility evidence: run a command several times and compare what it produced
(``mlf-lint verify``), and make copied MLflow stores usable here (``mlf-lint fix-artifact-paths``)."""

"""Sphinx configuration: ``sphinx-build docs docs/_build``."""
project = "{{cookiecutter.project_name}}"
author = "{{cookiecutter.author}}"
release = "{{cookiecutter.version}}"
extensions = ["sphinx.ext.autodoc", "sphinx.ext.napoleon"]
exclude_patterns = ["_build"]
html_theme = "alabaster"

"""Sphinx configuration: ``sphinx-build docs docs/_build``."""
project = "{{ cookiecutter.project_name|escape_string }}"
author = "{{ cookiecutter.author|escape_string }}"
release = "{{cookiecutter.version}}"
extensions = ["sphinx.ext.autodoc", "sphinx.ext.napoleon"]
exclude_patterns = ["_build"]
html_theme = "alabaster"

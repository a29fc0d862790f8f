"""{{ cookiecutter.description|escape_string }}"""
__version__ = "{{ cookiecutter.version }}"

{{ mlf_shared_file("__init__.py.j2") -}}

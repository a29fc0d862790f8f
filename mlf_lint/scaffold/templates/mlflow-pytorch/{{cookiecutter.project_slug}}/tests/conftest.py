{{ mlf_shared_file("conftest.py") -}}

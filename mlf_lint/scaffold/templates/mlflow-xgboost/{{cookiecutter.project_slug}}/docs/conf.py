{{ mlf_shared_file("conf.py.j2") -}}

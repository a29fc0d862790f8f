{{ mlf_shared_file("test_train.py.j2", budget="epochs=2", check="") -}}

{{ mlf_shared_file("test_train.py.j2", budget="rounds=20", check='assert 0.0 <= first["metrics"]["val_error"] <= 1.0') -}}

{{ mlf_shared_file("test_train.py.j2", budget="epochs=2", check='assert 0.0 <= first["metrics"]["val_acc"] <= 1.0') -}}

{{ mlf_shared_file("test_reproducibility_xgboost.py.j2") -}}

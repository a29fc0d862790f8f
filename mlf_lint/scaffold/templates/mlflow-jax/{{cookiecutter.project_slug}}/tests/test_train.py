{{ mlf_shared_file("test_train.py.j2", budget="epochs=2", check='assert (tmp_path / "a" / "params.msgpack").read_bytes() == (tmp_path / "b" / "params.msgpack").read_bytes()') -}}

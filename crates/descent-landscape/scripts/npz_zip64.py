"""numpy's side of the zip64 tests of src/npz.rs (numpy 2.4.6, Python 3.11, ~/.cache/torch-venv).

    python npz_zip64.py fixture      prints, in hex, an .npz that numpy.savez writes with zip64
                                     records: zipfile's limits lowered so that a small file
                                     takes them (the bytes of NUMPY_ZIP64 in src/npz.rs)
    python npz_zip64.py check DIR    reads the files that
                                     `DESCENT_NPZ_DIR=DIR cargo test -p descent-landscape npz`
                                     wrote into DIR with numpy and checks what they hold
"""

import io
import sys
import zipfile

import numpy as np


def fixture() -> None:
    zipfile.ZIP64_LIMIT = 64  # sizes and offsets from 64 bytes on take zip64 fields
    zipfile.ZIP_FILECOUNT_LIMIT = 1  # and the directory the zip64 end records
    out = io.BytesIO()
    np.savez(
        out,
        loss=np.array([[1.0, 2.5], [-3.0, 0.5]]),
        done=np.array([True, False, True]),
        n=np.array([-7], dtype=np.int64),
    )
    data = out.getvalue()
    assert b"PK\x06\x06" in data and b"PK\x06\x07" in data, "no zip64 end records"
    print(data.hex())


def check(folder: str) -> None:
    # The sample of src/npz.rs, written with zip64 limits lowered to 2 entries and 64 bytes.
    with zipfile.ZipFile(f"{folder}/zip64.npz") as z:
        assert z.testzip() is None, "CRC"
    z = np.load(f"{folder}/zip64.npz")
    assert sorted(z.files) == ["done", "loss", "meta.json", "n", "w"], z.files
    loss = z["loss"]
    assert loss.shape == (2, 3) and loss.dtype == np.float64
    want = np.array([1.0, 2.5, -3.0, np.nan, 0.0, 1e-300]).reshape(2, 3)
    assert np.array_equal(loss, want, equal_nan=True), loss
    assert z["done"].tolist() == [True, False, True]
    assert z["w"].shape == () and z["w"].dtype == np.float32 and z["w"] == 0.25
    assert z["n"].tolist() == [-7]
    assert bytes(z["meta.json"]) == b'{"a": 1}'
    # 70,000 scalar arrays a00000.. a69999 holding their index, with the real limits.
    many = np.load(f"{folder}/many.npz")
    assert len(many.files) == 70_000, len(many.files)
    for i in range(70_000):
        value = many[f"a{i:05}"]
        assert value.shape == () and value.dtype == np.int64 and value == i, (i, value)
    print(f"numpy {np.__version__} reads {folder}/zip64.npz and {folder}/many.npz")


if __name__ == "__main__":
    if sys.argv[1:] == ["fixture"]:
        fixture()
    elif len(sys.argv) == 3 and sys.argv[1] == "check":
        check(sys.argv[2])
    else:
        sys.exit(__doc__)

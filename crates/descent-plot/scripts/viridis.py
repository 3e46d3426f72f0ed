"""Prints matplotlib's 256-entry viridis table (matplotlib._cm_listed._viridis_data) as the
Rust constant in src/viridis_table.rs. Run: python scripts/viridis.py > src/viridis_table.rs
(matplotlib 3.11.2 gave the committed file). viridis is by Stéfan van der Walt and Nathaniel
Smith, released under CC0."""
import matplotlib
from matplotlib import _cm_listed

data = _cm_listed._viridis_data
assert len(data) == 256
print("//! matplotlib's viridis colour map: its 256 entries, as `matplotlib._cm_listed._viridis_data`")
print(f"//! holds them (matplotlib {matplotlib.__version__}; made by `scripts/viridis.py`). The map")
print("//! is by Stéfan van der Walt and Nathaniel Smith, released under CC0.")
print()
print("/// The 256 `[r, g, b]` entries on `[0, 1]`, from dark purple to yellow.")
print("#[rustfmt::skip]")
print("pub(crate) const VIRIDIS: [[f64; 3]; 256] = [")
for r, g, b in data:
    print(f"    [{r:.6f}, {g:.6f}, {b:.6f}],")
print("];")

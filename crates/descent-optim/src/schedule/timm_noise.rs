//! The rate noise of timm's schedulers, draw for draw: PyTorch's CPU generator (MT19937 seeded
//! with `manual_seed`) and its scalar normal sampler (Box-Muller on two 53-bit uniforms, the
//! second value cached for the next draw), read back as a float32 as `torch.randn(1).item()`
//! does.

/// Mersenne Twister MT19937 (Matsumoto & Nishimura 1998) with the standard 32-bit seeding,
/// as `torch.Generator().manual_seed(seed)` sets it up.
struct Mt19937 {
    state: [u32; 624],
    index: usize,
}

impl Mt19937 {
    fn new(seed: u64) -> Self {
        let mut state = [0_u32; 624];
        state[0] = seed as u32; // PyTorch keeps the low 32 bits.
        for i in 1..624 {
            let prev = state[i - 1];
            state[i] = 1_812_433_253_u32
                .wrapping_mul(prev ^ (prev >> 30))
                .wrapping_add(i as u32);
        }
        Self { state, index: 624 }
    }

    fn next_u32(&mut self) -> u32 {
        if self.index >= 624 {
            for k in 0..624 {
                let y = (self.state[k] & 0x8000_0000) | (self.state[(k + 1) % 624] & 0x7fff_ffff);
                let mut next = self.state[(k + 397) % 624] ^ (y >> 1);
                if y & 1 == 1 {
                    next ^= 0x9908_b0df;
                }
                self.state[k] = next;
            }
            self.index = 0;
        }
        let mut y = self.state[self.index];
        self.index += 1;
        y ^= y >> 11;
        y ^= (y << 7) & 0x9d2c_5680;
        y ^= (y << 15) & 0xefc6_0000;
        y ^ (y >> 18)
    }

    /// PyTorch's `uniform_real_distribution<double>(0, 1)`: the low 53 bits of two draws
    /// (the first one high), over 2^53.
    fn uniform(&mut self) -> f64 {
        let hi = u64::from(self.next_u32());
        let lo = u64::from(self.next_u32());
        ((hi << 32 | lo) & ((1 << 53) - 1)) as f64 / (1_u64 << 53) as f64
    }
}

/// Successive `torch.randn(1, generator=g).item()` values of one generator.
struct TorchNormals {
    engine: Mt19937,
    cached: Option<f64>,
}

impl TorchNormals {
    fn new(seed: u64) -> Self {
        Self {
            engine: Mt19937::new(seed),
            cached: None,
        }
    }

    fn next(&mut self) -> f64 {
        let value = match self.cached.take() {
            Some(value) => value,
            None => {
                let u1 = self.engine.uniform();
                let u2 = self.engine.uniform();
                let r = (-2.0 * (-u2).ln_1p()).sqrt();
                let theta = 2.0 * core::f64::consts::PI * u1;
                self.cached = Some(r * theta.sin());
                r * theta.cos()
            }
        };
        // The tensor is float32; `.item()` reads that back.
        f64::from(value as f32)
    }
}

/// timm's `Scheduler._calculate_noise(t)` for `noise_type="normal"`: a generator seeded with
/// `seed + t`, normal draws until one lies strictly inside `(-pct, pct)`, that draw. Here each
/// draw is multiplied by `std` before the test (timm accepts `noise_std` but does not use it;
/// with `std = 1`, timm's default, the value is timm's, bit for bit up to the f32 read-back).
pub(crate) fn timm_noise(seed: u64, t: usize, pct: f64, std: f64) -> f64 {
    let mut normals = TorchNormals::new(seed.wrapping_add(t as u64));
    loop {
        let noise = std * normals.next();
        if noise.abs() < pct {
            return noise;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // PyTorch reference (torch 2.15.0 CPU, `~/.cache/torch-venv/bin/python`):
    //
    //     import torch
    //     for seed in [42, 43, 100]:
    //         g = torch.Generator(); g.manual_seed(seed)
    //         print(seed, [torch.randn(1, generator=g).item() for _ in range(4)])
    #[test]
    fn draws_torch_randn_of_a_seeded_generator() {
        let torch: [(u64, [f64; 4]); 3] = [
            (
                42,
                [
                    0.33669036626815796,
                    0.12880940735340118,
                    0.23446236550807953,
                    0.23033303022384644,
                ],
            ),
            (
                43,
                [
                    -0.6484010815620422,
                    -0.7058414220809937,
                    0.6432183980941772,
                    1.4787991046905518,
                ],
            ),
            (
                100,
                [
                    0.36065590381622314,
                    -0.2859211564064026,
                    -0.39381808042526245,
                    0.24293792247772217,
                ],
            ),
        ];
        for (seed, expected) in torch {
            let mut normals = TorchNormals::new(seed);
            let got: Vec<f64> = (0..4).map(|_| normals.next()).collect();
            assert_eq!(got, expected, "seed {seed}");
        }
    }

    #[test]
    fn noise_is_bounded_and_deterministic() {
        for t in 0..500 {
            let a = timm_noise(7, t, 0.3, 1.0);
            assert!(a.abs() < 0.3, "{a}");
            assert_eq!(a.to_bits(), timm_noise(7, t, 0.3, 1.0).to_bits());
            assert!(timm_noise(7, t, 0.3, 2.5).abs() < 0.3);
        }
    }
}

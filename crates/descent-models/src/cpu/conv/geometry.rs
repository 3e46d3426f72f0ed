//! The sizes of one convolution ([`Geometry`]) and how its work is cut: the batch into groups
//! of images, an image's output rows into bands, and who runs the products on which threads
//! (see the module docs of [`conv`](super)).

use crate::cpu::gemm::Threading;
use burn::backend::ops::ConvOptions;

/// Upper bound on one tile's patch matrix (`P` x columns floats), in bytes: the size that
/// measured best on full-width VGG-11 layers against 512 KB, 1 MB and 8 MB, although a core's
/// L2 holds 1 MiB on the machine it was measured on (`bench/README.md`).
pub(crate) const TILE_BUDGET_BYTES: usize = 2 << 20;
/// Columns (output positions) a tile of small images should reach: its products' width.
pub(crate) const TILE_MIN_COLUMNS: usize = 256;
/// Image groups from which the groups, not the products, run in parallel.
pub(crate) const PARALLEL_MIN_TILE_GROUPS: usize = 2;

/// The sizes of one convolution, resolved from shapes and options.
#[derive(Debug, Clone, Copy)]
pub(super) struct Geometry {
    pub(super) batch: usize,
    pub(super) channels_in: usize,
    pub(super) height: usize,
    pub(super) width: usize,
    pub(super) channels_out: usize,
    pub(super) kernel: [usize; 2],
    pub(super) stride: [usize; 2],
    pub(super) dilation: [usize; 2],
    /// Padding before the first row and column.
    pub(super) pad: [usize; 2],
    pub(super) out: [usize; 2],
}

impl Geometry {
    pub(super) fn new(x_shape: [usize; 4], w_shape: [usize; 4], options: &ConvOptions<2>) -> Self {
        let [batch, channels_in, height, width] = x_shape;
        let [channels_out, _, kh, kw] = w_shape;
        let out_len = |size: usize, k: usize, d: usize| {
            let (pb, pe) = (options.padding[d].0, options.padding[d].1);
            (size + pb + pe - options.dilation[d] * (k - 1) - 1) / options.stride[d] + 1
        };
        Self {
            batch,
            channels_in,
            height,
            width,
            channels_out,
            kernel: [kh, kw],
            stride: options.stride,
            dilation: options.dilation,
            pad: [options.padding[0].0, options.padding[1].0],
            out: [out_len(height, kh, 0), out_len(width, kw, 1)],
        }
    }

    /// Length of one patch: `C·kh·kw`.
    pub(super) fn patch(&self) -> usize {
        self.channels_in * self.kernel[0] * self.kernel[1]
    }

    /// Output positions of one image: `Ho·Wo`.
    pub(super) fn positions(&self) -> usize {
        self.out[0] * self.out[1]
    }

    /// Floats of one input image: `C·H·W`.
    pub(super) fn image(&self) -> usize {
        self.channels_in * self.height * self.width
    }

    /// How many groups of images the batch is cut into: groups of enough images for
    /// [`TILE_MIN_COLUMNS`] columns, within the budget, at least one image each; their count
    /// then rounded up to an even number, and from 4 on to a multiple of 4 (within the batch),
    /// so that 2 or 4 threads share them evenly. A full-width VGG-11's 2x2 layers made 5
    /// groups of 26 images, 3 groups on one core and 2 on the other; they now make 8 of 16
    /// images, whose 64 columns also fill whole panels of the matrix product.
    pub(super) fn groups(&self) -> usize {
        let per_image = self.patch() * self.positions() * std::mem::size_of::<f32>();
        let fit = TILE_BUDGET_BYTES / per_image.max(1);
        let wanted = TILE_MIN_COLUMNS.div_ceil(self.positions().max(1));
        let batch = self.batch.max(1);
        balanced_groups(batch, wanted.min(fit).clamp(1, batch))
    }

    /// The images `(first, end)` of group `index` of `groups`: sizes differ by one at most,
    /// and none is larger than [`Geometry::groups`] planned.
    pub(super) fn group(&self, index: usize, groups: usize) -> (usize, usize) {
        (
            index * self.batch / groups,
            (index + 1) * self.batch / groups,
        )
    }

    /// The bands of output rows `(first, end)` a group's tiles cover: all rows at once, unless
    /// one image's patch matrix is over the budget (and the group then holds one image).
    pub(super) fn bands(&self) -> Vec<(usize, usize)> {
        let per_row = self.patch() * self.out[1] * std::mem::size_of::<f32>();
        let rows = (TILE_BUDGET_BYTES / per_row.max(1)).clamp(1, self.out[0].max(1));
        (0..self.out[0])
            .step_by(rows)
            .map(|first| (first, (first + rows).min(self.out[0])))
            .collect()
    }

    /// Who spreads the products over threads (see the module docs of [`conv`](super)).
    pub(super) fn threading(&self) -> Threading {
        if self.groups() >= PARALLEL_MIN_TILE_GROUPS {
            Threading::Caller
        } else {
            Threading::Product
        }
    }

    /// Whether each row `(c, i, j)` of the patch matrix is its input plane shifted by a
    /// constant (the columns that read padding aside): stride 1 both ways and output rows as
    /// wide as the input's, so consecutive output positions read consecutive input values,
    /// across output rows too.
    pub(super) fn shifts_plane(&self) -> bool {
        self.stride == [1, 1] && self.out[1] == self.width
    }

    /// For kernel offset `k` along axis `a`: the output indices `o` whose input index
    /// `o·stride + k·dilation - pad` falls inside the image, as a half-open range.
    pub(super) fn valid(&self, a: usize, k: usize) -> (usize, usize) {
        let size = if a == 0 { self.height } else { self.width };
        let shift = k * self.dilation[a];
        let s = self.stride[a];
        // o·s + shift >= pad  <=>  o >= ceil((pad - shift) / s)
        let lo = self.pad[a].saturating_sub(shift).div_ceil(s);
        // o·s + shift - pad <= size - 1  <=>  o <= (size - 1 + pad - shift) / s
        let hi = if size + self.pad[a] > shift {
            ((size - 1 + self.pad[a] - shift) / s + 1).min(self.out[a])
        } else {
            0
        };
        (lo.min(hi), hi)
    }
}

/// How many groups of at most `size` images a batch of `batch` is cut into: as many as that
/// takes, rounded up to an even number, and from 4 on to a multiple of 4 (within the batch),
/// so that 2 or 4 threads share them evenly.
pub(super) fn balanced_groups(batch: usize, size: usize) -> usize {
    let groups = batch.div_ceil(size.max(1));
    let multiple = match groups {
        1 => 1,
        2..4 => 2,
        _ => 4,
    };
    groups.next_multiple_of(multiple).min(batch)
}

#[cfg(test)]
mod tests {
    use super::super::tests::check_against_definition;
    use super::*;

    #[test]
    fn tiles_cover_the_batch_and_the_image() {
        // The number of images in each group, in order.
        let sizes = |g: &Geometry| -> Vec<usize> {
            let groups = g.groups();
            (0..groups)
                .map(|i| g.group(i, groups))
                .map(|(first, end)| end - first)
                .collect()
        };
        let same = ConvOptions::new([1, 1], [1, 1], [1, 1], 1);
        // One image's patch matrix (576 x 1600 floats) is over the budget: bands of rows. One
        // image, one group: the products are threaded.
        let g = Geometry::new([1, 64, 40, 40], [3, 64, 3, 3], &same);
        assert_eq!(sizes(&g), [1]);
        assert_eq!(g.bands(), vec![(0, 22), (22, 40)]);
        assert_eq!(g.threading(), Threading::Product);
        check_against_definition([1, 64, 40, 40], [3, 64, 3, 3], &same);
        // Two such images: two groups, in parallel.
        let g = Geometry::new([2, 64, 40, 40], [3, 64, 3, 3], &same);
        assert_eq!((sizes(&g), g.threading()), (vec![1, 1], Threading::Caller));
        check_against_definition([2, 64, 40, 40], [3, 64, 3, 3], &same);
        // 8x8 outputs: 4 images wanted a group, 18 images would be 5 groups; a multiple of 4
        // instead, 8 groups of 2 or 3, in parallel.
        let g = Geometry::new([18, 3, 8, 8], [5, 3, 3, 3], &same);
        assert_eq!(sizes(&g), [2, 2, 2, 3, 2, 2, 2, 3]);
        assert_eq!(g.bands(), vec![(0, 8)]);
        assert_eq!(g.threading(), Threading::Caller);
        check_against_definition([18, 3, 8, 8], [5, 3, 3, 3], &same);
        // Strided, 2x2 outputs: 64 images wanted a group, so 70 images make 2 groups of 35
        // images each, in parallel.
        let strided = ConvOptions::new([2, 2], [0, 0], [1, 1], 1);
        let g = Geometry::new([70, 2, 5, 5], [3, 2, 3, 3], &strided);
        assert_eq!((sizes(&g), g.out), (vec![35, 35], [2, 2]));
        assert_eq!(g.threading(), Threading::Caller);
        check_against_definition([70, 2, 5, 5], [3, 2, 3, 3], &strided);
        // 8x8 outputs, 4 images wanted a group: 9 images would be 4 + 4 + 1, an even count
        // instead, 4 groups of 2 or 3.
        let g = Geometry::new([9, 3, 8, 8], [5, 3, 3, 3], &same);
        assert_eq!(sizes(&g), [2, 2, 2, 3]);
        check_against_definition([9, 3, 8, 8], [5, 3, 3, 3], &same);
        // 3 images of one group each stay 3 groups (no empty group).
        let g = Geometry::new([3, 64, 40, 40], [3, 64, 3, 3], &same);
        assert_eq!(sizes(&g), [1, 1, 1]);
        check_against_definition([3, 64, 40, 40], [3, 64, 3, 3], &same);
        // One image per group, many groups, in parallel with the weight gradient in 8 parts.
        let g = Geometry::new([20, 2, 16, 16], [4, 2, 3, 3], &same);
        assert_eq!(sizes(&g), [1; 20]);
        assert_eq!(g.threading(), Threading::Caller);
        check_against_definition([20, 2, 16, 16], [4, 2, 3, 3], &same);
    }
}

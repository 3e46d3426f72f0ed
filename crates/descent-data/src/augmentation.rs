//! Seeded data augmentation: random crop with zero padding, and horizontal flip.

use serde::{Deserialize, Serialize};

use crate::rng::Rng;

/// Which random transforms to apply to training images.
///
/// The order and meaning follow torchvision's usual CIFAR-10 recipe
/// `RandomCrop(size, padding=p)` then `RandomHorizontalFlip()`, then `ToTensor`/`Normalize`:
/// the raw image is padded with **raw zeros** (black) before normalization, so after
/// normalization a padded pixel of channel `c` holds `(0 - mean[c]) / std[c]`, not 0.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Augmentation {
    /// Pad each side with `p` zero pixels, then crop back to the original size at a uniformly
    /// drawn offset (each of the `(2p + 1)^2` offsets equally likely). `None` or `Some(0)`: no
    /// crop.
    pub crop_padding: Option<usize>,
    /// Mirror left-right with probability 1/2.
    pub horizontal_flip: bool,
}

impl Augmentation {
    /// No augmentation.
    pub const fn none() -> Self {
        Self {
            crop_padding: None,
            horizontal_flip: false,
        }
    }

    /// The standard CIFAR-10 recipe: padding 4 and random horizontal flips.
    pub const fn cifar10() -> Self {
        Self {
            crop_padding: Some(4),
            horizontal_flip: true,
        }
    }

    /// Whether this never changes an image.
    pub fn is_identity(&self) -> bool {
        self.crop_padding.unwrap_or(0) == 0 && !self.horizontal_flip
    }

    /// Draws the transform for one image: first the crop offset (row, then column), then the
    /// flip; nothing is drawn for a disabled part.
    pub fn draw(&self, rng: &mut Rng) -> Transform {
        let mut transform = Transform::IDENTITY;
        if let Some(p) = self.crop_padding.filter(|&p| p > 0) {
            let range = 2 * p as u64 + 1;
            transform.offset_y = rng.below(range) as isize - p as isize;
            transform.offset_x = rng.below(range) as isize - p as isize;
        }
        if self.horizontal_flip {
            transform.flip = rng.coin();
        }
        transform
    }
}

/// One drawn augmentation of one image.
///
/// Output pixel `(y, x)` is source pixel `(y + offset_y, x' + offset_x)` where
/// `x' = width - 1 - x` if `flip` else `x`; a source position outside the image is a raw 0
/// (padding). In words: crop the zero-padded image at top-left `(p + offset_y, p + offset_x)`,
/// then mirror the result.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Transform {
    /// Row shift, in `-p..=p`.
    pub offset_y: isize,
    /// Column shift, in `-p..=p`.
    pub offset_x: isize,
    /// Mirror left-right after cropping.
    pub flip: bool,
}

impl Transform {
    /// The transform that changes nothing.
    pub const IDENTITY: Transform = Transform {
        offset_y: 0,
        offset_x: 0,
        flip: false,
    };

    /// Applies the transform to one `C x H x W` image, filling padding with `0.0`: the slow,
    /// obviously-correct reference (the batcher uses a faster row-wise path).
    pub fn apply_chw(&self, image: &[f32], height: usize, width: usize) -> Vec<f32> {
        let plane = height * width;
        let mut out = vec![0.0; image.len()];
        if plane == 0 {
            return out;
        }
        for (channel, out_plane) in out.chunks_mut(plane).enumerate() {
            for y in 0..height {
                for x in 0..width {
                    let xs = if self.flip { width - 1 - x } else { x };
                    let sy = y as isize + self.offset_y;
                    let sx = xs as isize + self.offset_x;
                    if (0..height as isize).contains(&sy) && (0..width as isize).contains(&sx) {
                        out_plane[y * width + x] =
                            image[channel * plane + sy as usize * width + sx as usize];
                    }
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_cover_the_offsets_and_both_flips() {
        let augmentation = Augmentation::cifar10();
        let mut rng = Rng::new(11);
        let mut seen = std::collections::HashSet::new();
        let mut flips = 0;
        for _ in 0..5000 {
            let t = augmentation.draw(&mut rng);
            assert!((-4..=4).contains(&t.offset_y) && (-4..=4).contains(&t.offset_x));
            seen.insert((t.offset_y, t.offset_x));
            flips += usize::from(t.flip);
        }
        assert_eq!(seen.len(), 81);
        assert!((2200..2800).contains(&flips), "{flips}");
        assert_eq!(Augmentation::none().draw(&mut rng), Transform::IDENTITY);
        assert!(Augmentation::none().is_identity());
        assert!(!Augmentation::cifar10().is_identity());
    }

    #[test]
    fn reference_transform_shifts_and_mirrors() {
        // 1 x 2 x 3 image with values 1..=6.
        let image = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0];
        let flip = Transform {
            flip: true,
            ..Transform::IDENTITY
        };
        assert_eq!(
            flip.apply_chw(&image, 2, 3),
            vec![3.0, 2.0, 1.0, 6.0, 5.0, 4.0]
        );
        let shift = Transform {
            offset_y: 1,
            offset_x: -1,
            flip: false,
        };
        assert_eq!(
            shift.apply_chw(&image, 2, 3),
            vec![0.0, 4.0, 5.0, 0.0, 0.0, 0.0]
        );
        let both = Transform {
            flip: true,
            ..shift
        };
        assert_eq!(
            both.apply_chw(&image, 2, 3),
            vec![5.0, 4.0, 0.0, 0.0, 0.0, 0.0]
        );
    }
}

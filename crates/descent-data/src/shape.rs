//! The shape of one image.

use serde::{Deserialize, Serialize};

/// The shape of one image, channels first (`C x H x W`), as stored and as batched.
///
/// 2-D point sets are stored as images of shape `2 x 1 x 1`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ImageShape {
    /// Number of channels (3 for CIFAR-10, 1 for MNIST, 2 for 2-D point sets).
    pub channels: usize,
    /// Height in pixels.
    pub height: usize,
    /// Width in pixels.
    pub width: usize,
}

impl ImageShape {
    /// A shape from its three sizes.
    pub const fn new(channels: usize, height: usize, width: usize) -> Self {
        Self {
            channels,
            height,
            width,
        }
    }

    /// Number of values in one image: `channels * height * width`.
    pub const fn numel(&self) -> usize {
        self.channels * self.height * self.width
    }

    /// Number of values in one channel plane: `height * width`.
    pub const fn plane(&self) -> usize {
        self.height * self.width
    }

    /// The shape as an array `[C, H, W]`.
    pub const fn dims(&self) -> [usize; 3] {
        [self.channels, self.height, self.width]
    }
}

impl std::fmt::Display for ImageShape {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}x{}x{}", self.channels, self.height, self.width)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numel_and_display() {
        let shape = ImageShape::new(3, 32, 32);
        assert_eq!(shape.numel(), 3072);
        assert_eq!(shape.plane(), 1024);
        assert_eq!(shape.dims(), [3, 32, 32]);
        assert_eq!(shape.to_string(), "3x32x32");
    }
}

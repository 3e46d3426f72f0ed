use super::helper;
use crate::solo::Solo;

pub struct Kid(Solo);

pub(in crate::parent) fn depth() -> u32 {
    helper()
}

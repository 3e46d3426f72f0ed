pub struct Beta;

pub fn make() -> crate::Alpha {
    crate::Alpha(Beta)
}

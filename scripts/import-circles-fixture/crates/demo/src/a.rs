use crate::b::Beta;

pub struct Alpha(pub Beta);

#[cfg(test)]
mod tests {
    use crate::solo::Solo;
}

//! Sizes on disk: measured as `du` counts them, shown as `du -h` shows them; `parts` measures a
//! profile entry by entry, for `ccs du`.

pub(crate) mod parts;

use std::fs;
use std::path::Path;

/// Bytes on disk under `dir`, counted like `du` (allocated blocks), not following symlinks.
pub(crate) fn disk_usage(dir: &Path) -> u64 {
    let Ok(meta) = fs::symlink_metadata(dir) else {
        return 0;
    };
    let mut total = allocated(&meta);
    if meta.is_dir() {
        for entry in fs::read_dir(dir).into_iter().flatten().flatten() {
            total += disk_usage(&entry.path());
        }
    }
    total
}

/// The bytes one entry takes on disk (not what it holds, if it is a directory).
#[cfg(unix)]
pub(crate) fn allocated(meta: &fs::Metadata) -> u64 {
    use std::os::unix::fs::MetadataExt;
    meta.blocks() * 512
}

#[cfg(not(unix))]
pub(crate) fn allocated(meta: &fs::Metadata) -> u64 {
    meta.len()
}

/// `1.2 MB`, `24 KB`, `512 B`: the figure a person reads, in powers of 1024 like `du -h`: one
/// decimal below 10, whole numbers from there. Rounded half up before the unit is chosen, so
/// 1,048,575 bytes are `1.0 MB`, never `1024 KB`. In integers because `ccs list` prints one per
/// profile.
pub fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KB", "MB", "GB", "TB"];
    let bytes = u128::from(bytes);
    let mut scale: u128 = 1;
    for (unit, name) in UNITS.iter().enumerate() {
        let last = unit + 1 == UNITS.len();
        let shown = rounded(bytes, scale);
        if shown.below(1024) || last {
            return shown.text(name);
        }
        scale *= 1024;
    }
    unreachable!("the last unit takes any size")
}

/// A size in one unit, rounded as it is shown.
enum Rounded {
    Tenths(u128),
    Whole(u128),
}

/// `bytes` in units of `scale`: in tenths when that reads below 10 (never for bytes), else whole.
fn rounded(bytes: u128, scale: u128) -> Rounded {
    let tenths = (bytes * 10 + scale / 2) / scale;
    if scale > 1 && tenths < 100 {
        Rounded::Tenths(tenths)
    } else {
        Rounded::Whole((bytes + scale / 2) / scale)
    }
}

impl Rounded {
    fn below(&self, limit: u128) -> bool {
        match *self {
            Rounded::Tenths(tenths) => tenths < limit * 10,
            Rounded::Whole(whole) => whole < limit,
        }
    }

    fn text(&self, unit: &str) -> String {
        // Built by hand: `ccs list` formats one size per profile, and `format!` cost more than
        // the rest of this function.
        let mut text = String::with_capacity(12);
        match *self {
            Rounded::Tenths(tenths) => {
                push_decimal(&mut text, tenths / 10);
                text.push('.');
                push_decimal(&mut text, tenths % 10);
            }
            Rounded::Whole(whole) => push_decimal(&mut text, whole),
        }
        text.push(' ');
        text.push_str(unit);
        text
    }
}

fn push_decimal(text: &mut String, mut n: u128) {
    let mut digits = [0u8; 40];
    let mut at = digits.len();
    loop {
        at -= 1;
        digits[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    text.extend(digits[at..].iter().map(|&d| char::from(d)));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_like_du_h() {
        assert_eq!(human_size(0), "0 B");
        assert_eq!(human_size(4096), "4.0 KB");
        assert_eq!(human_size(20 * 1024), "20 KB");
        assert_eq!(human_size(1536 * 1024), "1.5 MB");
        assert_eq!(human_size(1023), "1023 B");
        assert_eq!(human_size(10 * 1024 - 1), "10 KB");
        assert_eq!(human_size(3 * 1024u64.pow(4)), "3.0 TB");
        assert_eq!(human_size(u64::MAX), "16777216 TB");
    }

    /// At each unit: just below it, at it, just above it, and on both sides of the rounding
    /// edge where the size reads as the next unit; and where tenths give way to whole numbers.
    #[test]
    fn sizes_are_rounded_before_the_unit_is_chosen() {
        const K: u64 = 1024;
        let cases: [(u64, &str); 24] = [
            (K - 1, "1023 B"),
            (K, "1.0 KB"),
            (K + 1, "1.0 KB"),
            (10 * K - 52, "9.9 KB"),
            (10 * K - 51, "10 KB"),
            // 10.49 KB, whole: rounded once, from the bytes, not from tenths already rounded.
            (10 * K + 501, "10 KB"),
            (10 * K + 512, "11 KB"),
            (K * K - 513, "1023 KB"),
            (K * K - 512, "1.0 MB"),
            (K * K - 1, "1.0 MB"),
            (K * K, "1.0 MB"),
            (K * K + 1, "1.0 MB"),
            (K.pow(3) - K * K / 2 - 1, "1023 MB"),
            (K.pow(3) - K * K / 2, "1.0 GB"),
            (K.pow(3) - 1, "1.0 GB"),
            (K.pow(3), "1.0 GB"),
            (K.pow(3) + 1, "1.0 GB"),
            (K.pow(4) - K.pow(3) / 2 - 1, "1023 GB"),
            (K.pow(4) - K.pow(3) / 2, "1.0 TB"),
            (K.pow(4) - 1, "1.0 TB"),
            (K.pow(4), "1.0 TB"),
            (K.pow(4) + 1, "1.0 TB"),
            (K.pow(5) - 1, "1024 TB"),
            (K.pow(5), "1024 TB"),
        ];
        for (bytes, shown) in cases {
            assert_eq!(human_size(bytes), shown, "{bytes}");
        }
    }
}

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

/// `1.2 MB`, `24 KB`, `512 B`: the figure a person reads, in powers of 1024 like `du -h`.
/// In integers (tenths, rounded half up) because `ccs list` prints one per profile.
pub fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KB", "MB", "GB", "TB"];
    let mut unit = 0;
    let mut scale: u128 = 1;
    while u128::from(bytes) >= scale * 1024 && unit + 1 < UNITS.len() {
        scale *= 1024;
        unit += 1;
    }
    let tenths = (u128::from(bytes) * 10 + scale / 2) / scale;
    // Built by hand: `ccs list` formats one size per profile, and `format!` cost more than the
    // rest of this function.
    let mut text = String::with_capacity(12);
    if unit == 0 || tenths >= 100 {
        push_decimal(&mut text, (tenths + 5) / 10);
    } else {
        push_decimal(&mut text, tenths / 10);
        text.push('.');
        push_decimal(&mut text, tenths % 10);
    }
    text.push(' ');
    text.push_str(UNITS[unit]);
    text
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
        assert_eq!(human_size(1024 * 1024 - 1), "1024 KB");
        assert_eq!(human_size(3 * 1024u64.pow(4)), "3.0 TB");
        assert_eq!(human_size(u64::MAX), "16777216 TB");
    }
}

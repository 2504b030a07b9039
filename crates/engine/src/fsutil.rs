//! Writing files so that a crash or a full disk never leaves a half-written one in place.

use std::io::Write;
use std::path::Path;

use crate::error::{EngineError, Result};

/// Writes `bytes` to a temporary file beside `path`, syncs it, then renames it over `path`.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    replace_atomic(path, |tmp| {
        let mut f = std::fs::File::create(tmp)?;
        f.write_all(bytes)?;
        f.sync_all()
    })
}

/// Lets `write` produce the file at a temporary path beside `path`, then renames it into place;
/// on any failure the temporary file is removed and `path` is left as it was.
pub fn replace_atomic(path: &Path, write: impl FnOnce(&Path) -> std::io::Result<()>) -> Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    write(&tmp)
        .and_then(|()| std::fs::rename(&tmp, path))
        .map_err(|e| {
            let _ = std::fs::remove_file(&tmp);
            EngineError::io(path, e)
        })
}

/// Puts the finished folder `staged` at `target` in one step. When `target` exists the two are
/// exchanged atomically (Linux's `renameat2` with `RENAME_EXCHANGE`), so a reader, a crash or a
/// `kill -9` finds the whole old folder or the whole new one there, never neither and never a
/// mix; the old folder, now at `staged`, is then removed. `staged` must be on the same file
/// system (beside `target`). Where the exchange is not available: two renames, with a moment
/// in between when `target` is missing.
pub fn swap_dir_into_place(staged: &Path, target: &Path) -> Result<()> {
    if !target.exists() {
        return std::fs::rename(staged, target).map_err(|e| EngineError::io(target, e));
    }
    exchange(staged, target).map_err(|e| EngineError::io(target, e))?;
    if let Err(e) = std::fs::remove_dir_all(staged) {
        tracing::warn!(
            "could not remove the replaced folder {}: {e}",
            staged.display()
        );
    }
    Ok(())
}

#[cfg(target_os = "linux")]
fn exchange(a: &Path, b: &Path) -> std::io::Result<()> {
    use rustix::fs::{renameat_with, RenameFlags, CWD};
    renameat_with(CWD, a, CWD, b, RenameFlags::EXCHANGE).map_err(std::io::Error::from)
}

#[cfg(not(target_os = "linux"))]
fn exchange(a: &Path, b: &Path) -> std::io::Result<()> {
    let aside = b.with_extension("replaced");
    std::fs::rename(b, &aside)?;
    std::fs::rename(a, b)?;
    std::fs::rename(&aside, a)
}

/// A copy of folder `src` at `dest` (created), files hard-linked where the file system allows
/// (they are only ever replaced whole, never written in place, so sharing them is safe), copied
/// otherwise; `skip` names files left out.
pub fn link_copy_dir(src: &Path, dest: &Path, skip: &[&str]) -> Result<()> {
    std::fs::create_dir_all(dest).map_err(|e| EngineError::io(dest, e))?;
    for entry in std::fs::read_dir(src).map_err(|e| EngineError::io(src, e))? {
        let entry = entry.map_err(|e| EngineError::io(src, e))?;
        let name = entry.file_name();
        if skip.iter().any(|s| name == std::ffi::OsStr::new(s)) {
            continue;
        }
        let (from, to) = (entry.path(), dest.join(&name));
        let kind = entry.file_type().map_err(|e| EngineError::io(&from, e))?;
        if kind.is_dir() {
            link_copy_dir(&from, &to, skip)?;
        } else if std::fs::hard_link(&from, &to).is_err() {
            std::fs::copy(&from, &to).map_err(|e| EngineError::io(&from, e))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_content_and_leaves_no_temp_file() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.json");
        write_atomic(&p, b"one").unwrap();
        write_atomic(&p, b"two").unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"two");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn a_folder_is_swapped_whole_and_the_old_one_removed() {
        let root = tempfile::tempdir().unwrap();
        let target = root.path().join("skill");
        let staged = root.path().join(".skill.new");
        std::fs::create_dir_all(&target).unwrap();
        std::fs::write(target.join("a"), b"old a").unwrap();
        std::fs::write(target.join("b"), b"old b").unwrap();
        link_copy_dir(&target, &staged, &["b"]).unwrap();
        assert_eq!(std::fs::read(staged.join("a")).unwrap(), b"old a");
        assert!(!staged.join("b").exists(), "skipped");
        write_atomic(&staged.join("a"), b"new a").unwrap();
        // The staged file was replaced, not written through the link.
        assert_eq!(std::fs::read(target.join("a")).unwrap(), b"old a");
        swap_dir_into_place(&staged, &target).unwrap();
        assert_eq!(std::fs::read(target.join("a")).unwrap(), b"new a");
        assert!(!target.join("b").exists());
        assert!(!staged.exists());
        // Into a place that does not exist yet: a plain rename.
        let fresh = root.path().join("fresh");
        std::fs::create_dir_all(&staged).unwrap();
        swap_dir_into_place(&staged, &fresh).unwrap();
        assert!(fresh.is_dir() && !staged.exists());
    }

    #[test]
    fn a_failed_write_keeps_the_old_file() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("missing-dir").join("a.json");
        assert!(write_atomic(&p, b"x").is_err());
    }
}

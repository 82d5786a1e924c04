//! Writing files so that a reader never sees half of one, and a set of files so that a failure
//! leaves none of the new set in place.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// Where `path`'s content is written before it is renamed over `path`: `.NAME.PID.tmp` beside it.
///
/// # Panics
/// If `path` has no file name.
pub fn temporary_path(path: &Path) -> PathBuf {
    let file_name = path
        .file_name()
        .expect("an output path names a file, not a directory");
    let mut temporary_name = std::ffi::OsString::from(".");
    temporary_name.push(file_name);
    temporary_name.push(format!(".{}.tmp", std::process::id()));
    path.with_file_name(temporary_name)
}

/// Writes `bytes` to `path`'s temporary file, flushed to disk (where a full disk fails).
fn write_temporary(path: &Path, bytes: &[u8]) -> io::Result<PathBuf> {
    let temporary = temporary_path(path);
    let result = (|| {
        let mut file = fs::File::create(&temporary)?;
        file.write_all(bytes)?;
        file.sync_all()
    })();
    match result {
        Ok(()) => Ok(temporary),
        Err(error) => {
            let _ = fs::remove_file(&temporary);
            Err(error)
        }
    }
}

/// Writes `bytes` to `path` atomically: to a temporary file in the same directory first, then
/// renamed over `path`, so `path` holds either its old content or all of the new.
///
/// # Errors
/// Any I/O error creating, writing or renaming the file; the temporary file is removed then.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    if path.file_name().is_none() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "not a file path",
        ));
    }
    let temporary = write_temporary(path, bytes)?;
    fs::rename(&temporary, path).inspect_err(|_| {
        let _ = fs::remove_file(&temporary);
    })
}

/// Writes a set of files into `dir`: every one to its temporary file first (so that a full disk
/// or any other failure is met before anything is replaced), then each renamed into place, in
/// order (the last one, a run's record, last of all). `prepared` are files already written to
/// temporary paths (an animation streamed as it was drawn), renamed with the others before the
/// last of `files`. On a failure every temporary file is removed and the files already replaced
/// get their old content back: the directory holds the old set or the new one.
///
/// # Errors
/// The name of the file that failed, and why.
pub fn write_set(
    dir: &Path,
    files: &[(&str, Vec<u8>)],
    prepared: &[(PathBuf, &str)],
) -> Result<(), (String, io::Error)> {
    let name_of = |path: &Path| {
        path.file_name()
            .map_or_else(String::new, |n| n.to_string_lossy().into_owned())
    };
    let remove_all = |paths: &mut dyn Iterator<Item = &PathBuf>| {
        for path in paths {
            let _ = fs::remove_file(path);
        }
    };
    let mut written: Vec<(PathBuf, PathBuf)> = Vec::new();
    for (name, bytes) in files {
        let path = dir.join(name);
        match write_temporary(&path, bytes) {
            Ok(temporary) => written.push((temporary, path)),
            Err(error) => {
                remove_all(&mut written.iter().map(|(t, _)| t));
                remove_all(&mut prepared.iter().map(|(t, _)| t));
                return Err((name.to_string(), error));
            }
        }
    }
    // the prepared files go in before the set's last file
    let mut order: Vec<(PathBuf, PathBuf)> = written;
    let last = order.pop();
    order.extend(prepared.iter().map(|(t, name)| (t.clone(), dir.join(name))));
    order.extend(last);
    // a destination a rename cannot replace (a directory) is found before anything is replaced
    if let Some((_, taken)) = order.iter().find(|(_, path)| path.is_dir()) {
        remove_all(&mut order.iter().map(|(t, _)| t));
        let error = io::Error::new(io::ErrorKind::IsADirectory, "a directory has this name");
        return Err((name_of(taken), error));
    }
    // each file replaced keeps its old content under a second name until the set is in place
    let mut replaced: Vec<(PathBuf, Option<PathBuf>)> = Vec::new();
    for (k, (temporary, path)) in order.iter().enumerate() {
        let backup = path.with_file_name(format!(".{}.{}.old", name_of(path), std::process::id()));
        let kept = (path.exists() && fs::hard_link(path, &backup).is_ok()).then_some(backup);
        if let Err(error) = fs::rename(temporary, path) {
            if let Some(backup) = &kept {
                let _ = fs::remove_file(backup);
            }
            remove_all(&mut order[k..].iter().map(|(t, _)| t));
            for (done, backup) in replaced.iter().rev() {
                match backup {
                    Some(backup) => {
                        let _ = fs::rename(backup, done);
                    }
                    None => {
                        let _ = fs::remove_file(done);
                    }
                }
            }
            return Err((name_of(path), error));
        }
        replaced.push((path.clone(), kept));
    }
    remove_all(&mut replaced.iter().filter_map(|(_, backup)| backup.as_ref()));
    Ok(())
}

/// Removes the temporary files of `names` in `dir` that an earlier process left (one killed
/// while writing): `.NAME.PID.tmp` of another process.
pub fn remove_stale_temporaries(dir: &Path, names: &[&str]) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    let own = format!(".{}.tmp", std::process::id());
    for entry in entries.flatten() {
        let file_name = entry.file_name();
        let Some(text) = file_name.to_str() else {
            continue;
        };
        let stale = names.iter().any(|name| {
            text.strip_prefix('.')
                .and_then(|rest| rest.strip_prefix(name))
                .and_then(|rest| rest.strip_prefix('.'))
                .and_then(|rest| rest.strip_suffix(".tmp"))
                .is_some_and(|pid| !pid.is_empty() && pid.bytes().all(|b| b.is_ascii_digit()))
        });
        if stale && !text.ends_with(&own) {
            let _ = fs::remove_file(entry.path());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("scalargrad-files-{}-{name}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).expect("temp dir");
        dir
    }

    #[test]
    fn replaces_the_whole_file_and_leaves_no_temporary() {
        let dir = scratch("atomic");
        let path = dir.join("a.txt");
        write_atomic(&path, b"first").expect("write");
        write_atomic(&path, b"second").expect("write");
        assert_eq!(fs::read(&path).expect("read"), b"second");
        assert_eq!(fs::read_dir(&dir).expect("list").count(), 1);
        assert!(write_atomic(&dir.join("missing/b.txt"), b"x").is_err());
        fs::remove_dir_all(&dir).expect("clean up");
    }

    #[test]
    fn a_set_is_replaced_whole_or_not_at_all() {
        let dir = scratch("set");
        write_set(&dir, &[("a", b"1".to_vec()), ("run", b"1".to_vec())], &[]).expect("written");
        write_set(&dir, &[("a", b"1".to_vec()), ("run", b"1".to_vec())], &[]).expect("again");
        // a directory named like the second file: nothing is replaced
        fs::create_dir(dir.join("b")).expect("a directory");
        let failed = write_set(
            &dir,
            &[
                ("a", b"2".to_vec()),
                ("b", b"2".to_vec()),
                ("run", b"2".to_vec()),
            ],
            &[],
        );
        assert_eq!(failed.expect_err("b is a directory").0, "b");
        assert_eq!(fs::read(dir.join("a")).expect("a"), b"1", "the old a");
        assert_eq!(fs::read(dir.join("run")).expect("run"), b"1");
        // a rename that fails midway (here a prepared file that is gone) puts back what was
        // replaced before it and removes the rest
        fs::remove_dir(dir.join("b")).expect("removed");
        let gone = temporary_path(&dir.join("c"));
        let failed = write_set(
            &dir,
            &[("a", b"3".to_vec()), ("run", b"3".to_vec())],
            &[(gone, "c")],
        );
        assert_eq!(failed.expect_err("no prepared file").0, "c");
        assert_eq!(
            fs::read(dir.join("a")).expect("a"),
            b"1",
            "the old a, put back"
        );
        assert_eq!(fs::read(dir.join("run")).expect("run"), b"1");
        let names: Vec<String> = fs::read_dir(&dir)
            .expect("list")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        assert!(names.iter().all(|n| !n.ends_with(".tmp")), "{names:?}");
        fs::remove_dir_all(&dir).expect("clean up");
    }

    #[test]
    fn stale_temporaries_of_other_processes_are_removed() {
        let dir = scratch("stale");
        for name in [".model.json.999999.tmp", ".notes.1.tmp", "model.json"] {
            fs::write(dir.join(name), b"x").expect("write");
        }
        fs::write(temporary_path(&dir.join("model.json")), b"mine").expect("write");
        remove_stale_temporaries(&dir, &["model.json"]);
        let mut names: Vec<String> = fs::read_dir(&dir)
            .expect("list")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        let mine = format!(".model.json.{}.tmp", std::process::id());
        let mut expected = vec![".notes.1.tmp".to_string(), mine, "model.json".to_string()];
        expected.sort();
        assert_eq!(names, expected);
        fs::remove_dir_all(&dir).expect("clean up");
    }
}

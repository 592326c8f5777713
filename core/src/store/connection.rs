//! Opening the database file: one place owns the pragmas every connection runs with.

use std::path::{Path, PathBuf};

use rusqlite::{Connection, OpenFlags};

use crate::error::{Error, Result};

/// File name of the database inside a store directory.
pub const DB_FILE: &str = "selfreport.db";

/// The database file and its SQLite companions (`-wal`, `-shm`) inside `dir`.
pub fn store_files(dir: &Path) -> Vec<PathBuf> {
    let db = dir.join(DB_FILE);
    let mut files = vec![db.clone()];
    for suffix in ["-wal", "-shm", "-journal"] {
        let mut name = db.as_os_str().to_owned();
        name.push(suffix);
        files.push(PathBuf::from(name));
    }
    files
}

/// Opens an existing database file; never creates one.
pub(crate) fn open_existing(path: &Path) -> Result<Connection> {
    if !path.is_file() {
        return Err(Error::NotInitialized {
            path: path.display().to_string(),
        });
    }
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags)?;
    apply_connection_pragmas(&conn)?;
    Ok(conn)
}

/// Creates a new database file. `auto_vacuum` can only be chosen before the first table,
/// so it is set here and only here.
pub(crate) fn create_new(path: &Path) -> Result<Connection> {
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
        | OpenFlags::SQLITE_OPEN_CREATE
        | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags)?;
    conn.pragma_update(None, "auto_vacuum", "INCREMENTAL")?;
    apply_connection_pragmas(&conn)?;
    Ok(conn)
}

/// Pragmas of every connection (DESIGN §6). None of them writes to an existing file whose
/// journal mode is already WAL, so opening with a wrong key changes nothing on disk.
fn apply_connection_pragmas(conn: &Connection) -> Result<()> {
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    let mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0))?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(Error::Storage(format!(
            "could not switch the journal to WAL (got {mode})"
        )));
    }
    // WAL + NORMAL: a crash can lose the last commits but never corrupts the file.
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    // Deleted rows are overwritten with zeros, so purged ciphertext leaves no trace.
    conn.pragma_update(None, "secure_delete", "ON")?;
    conn.pragma_update(None, "temp_store", "MEMORY")?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pragmas_are_in_force() {
        let dir = tempfile::tempdir().unwrap();
        let conn = create_new(&dir.path().join(DB_FILE)).unwrap();
        let get = |name: &str| -> i64 {
            conn.query_row(&format!("PRAGMA {name}"), [], |row| row.get(0))
                .unwrap()
        };
        assert_eq!(get("foreign_keys"), 1);
        assert_eq!(get("secure_delete"), 1);
        assert_eq!(get("synchronous"), 1); // NORMAL
        assert_eq!(get("temp_store"), 2); // MEMORY
        assert_eq!(get("auto_vacuum"), 2); // INCREMENTAL
        let mode: String = conn
            .query_row("PRAGMA journal_mode", [], |row| row.get(0))
            .unwrap();
        assert_eq!(mode, "wal");
    }

    #[test]
    fn open_existing_never_creates() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(DB_FILE);
        assert!(matches!(
            open_existing(&path),
            Err(Error::NotInitialized { .. })
        ));
        assert!(!path.exists());
    }
}

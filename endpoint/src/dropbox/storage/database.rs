//! Which database the drop box stores into, as the operator names it.

use std::fmt;
use std::path::{Path, PathBuf};

use super::super::error::DropBoxError;

/// The drop box's database: a SQLite file (the embedded default) or a PostgreSQL
/// database that several drop box processes may share.
#[derive(Clone)]
pub enum Database {
    /// A SQLite file, created if missing.
    Sqlite(PathBuf),
    /// A PostgreSQL database.
    Postgres(PostgresConfig),
}

impl Database {
    /// Reads `--db`: a `postgres://` or `postgresql://` URL names PostgreSQL (with no
    /// extra trusted CA: see [`PostgresConfig::with_ca_file`]), anything else a SQLite
    /// file.
    pub fn parse(text: &str) -> Result<Self, DropBoxError> {
        if PostgresConfig::is_url(text) {
            Ok(Database::Postgres(PostgresConfig::from_url(text)?))
        } else {
            Ok(Database::Sqlite(PathBuf::from(text)))
        }
    }

    /// The database for messages: the file's path, or the PostgreSQL URL without its
    /// password.
    pub fn describe(&self) -> String {
        match self {
            Database::Sqlite(path) => path.display().to_string(),
            Database::Postgres(config) => config.describe(),
        }
    }
}

impl fmt::Debug for Database {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.describe())
    }
}

impl From<PathBuf> for Database {
    fn from(path: PathBuf) -> Self {
        Database::Sqlite(path)
    }
}

impl From<&PathBuf> for Database {
    fn from(path: &PathBuf) -> Self {
        Database::Sqlite(path.clone())
    }
}

impl From<&Path> for Database {
    fn from(path: &Path) -> Self {
        Database::Sqlite(path.to_path_buf())
    }
}

impl From<&str> for Database {
    /// A SQLite file path; use [`Database::parse`] to accept URLs too.
    fn from(path: &str) -> Self {
        Database::Sqlite(PathBuf::from(path))
    }
}

impl From<PostgresConfig> for Database {
    fn from(config: PostgresConfig) -> Self {
        Database::Postgres(config)
    }
}

/// How to reach a PostgreSQL database: its connection settings (from a
/// `postgres://user:password@host:port/dbname?sslmode=require` URL), the size of the
/// connection pool, and the CA certificates trusted for TLS besides the WebPKI roots.
///
/// `sslmode=require` (or `prefer`, which is taken as `require`) means TLS with the
/// server's certificate verified for its host name, always: stricter than libpq's
/// `require`. Without `sslmode` (or with `disable`) the connection is plain TCP, fit
/// only for a database on loopback or a Unix socket.
#[derive(Clone)]
pub struct PostgresConfig {
    /// Boxed: it is large, and a [`Database`] is mostly a path.
    pub(super) config: Box<tokio_postgres::Config>,
    pub(super) pool_size: usize,
    pub(super) ca_files: Vec<PathBuf>,
}

impl PostgresConfig {
    /// Connections each drop box process keeps at most, by default.
    pub const DEFAULT_POOL_SIZE: usize = 16;

    /// Whether `text` is a PostgreSQL URL.
    pub fn is_url(text: &str) -> bool {
        text.starts_with("postgres://") || text.starts_with("postgresql://")
    }

    /// Parses a `postgres://` URL.
    pub fn from_url(url: &str) -> Result<Self, DropBoxError> {
        let mut config: tokio_postgres::Config =
            url.parse().map_err(|error| DropBoxError::DatabaseUrl {
                detail: format!("{error}"),
            })?;
        // `prefer` would fall back to plain TCP when TLS fails; a drop box never does.
        if config.get_ssl_mode() == tokio_postgres::config::SslMode::Prefer
            && !url.contains("sslmode=prefer")
        {
            config.ssl_mode(tokio_postgres::config::SslMode::Disable);
        } else if config.get_ssl_mode() == tokio_postgres::config::SslMode::Prefer {
            config.ssl_mode(tokio_postgres::config::SslMode::Require);
        }
        if config.get_application_name().is_none() {
            config.application_name("selfreport-dropbox");
        }
        Ok(Self {
            config: Box::new(config),
            pool_size: Self::DEFAULT_POOL_SIZE,
            ca_files: Vec::new(),
        })
    }

    /// Trusts the CA certificates in the PEM file at `path` for the database's TLS
    /// certificate (a health office's private CA), besides the WebPKI roots.
    pub fn with_ca_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.ca_files.push(path.into());
        self
    }

    /// Keeps at most `size` connections (at least one).
    pub fn with_pool_size(mut self, size: usize) -> Self {
        self.pool_size = size.max(1);
        self
    }

    /// Whether the connection uses TLS.
    pub fn uses_tls(&self) -> bool {
        self.config.get_ssl_mode() != tokio_postgres::config::SslMode::Disable
    }

    /// `postgres://user@host:port/dbname` (never the password).
    pub fn describe(&self) -> String {
        let user = self.config.get_user().unwrap_or("");
        let hosts: Vec<String> = self
            .config
            .get_hosts()
            .iter()
            .zip(
                self.config
                    .get_ports()
                    .iter()
                    .chain(std::iter::repeat(&5432)),
            )
            .map(|(host, port)| match host {
                tokio_postgres::config::Host::Tcp(name) => format!("{name}:{port}"),
                tokio_postgres::config::Host::Unix(path) => path.display().to_string(),
            })
            .collect();
        let dbname = self.config.get_dbname().unwrap_or(user);
        format!("postgres://{user}@{}/{dbname}", hosts.join(","))
    }
}

impl fmt::Debug for PostgresConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PostgresConfig")
            .field("database", &self.describe())
            .field("tls", &self.uses_tls())
            .field("pool_size", &self.pool_size)
            .field("ca_files", &self.ca_files)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_name_postgres_and_anything_else_a_file() {
        assert!(matches!(
            Database::parse("postgres://u:p@127.0.0.1:5433/d").unwrap(),
            Database::Postgres(_)
        ));
        assert!(matches!(
            Database::parse("postgresql://u@h/d").unwrap(),
            Database::Postgres(_)
        ));
        assert!(matches!(
            Database::parse("dropbox.db").unwrap(),
            Database::Sqlite(path) if path == Path::new("dropbox.db")
        ));
        let error = Database::parse("postgres://u@h:notaport/d").unwrap_err();
        assert_eq!(error.code(), "DatabaseUrl");
    }

    #[test]
    fn the_password_never_shows() {
        let database =
            Database::parse("postgres://alice:SECRET-CANARY@db.example:5433/dropbox").unwrap();
        assert_eq!(
            database.describe(),
            "postgres://alice@db.example:5433/dropbox"
        );
        assert!(!format!("{database:?}").contains("SECRET-CANARY"));
        let Database::Postgres(config) = database else {
            unreachable!()
        };
        assert!(!format!("{config:?}").contains("SECRET-CANARY"));
        assert!(!config.uses_tls());
    }

    #[test]
    fn tls_is_asked_for_by_sslmode_and_prefer_means_require() {
        for (url, tls) in [
            ("postgres://u@h/d?sslmode=require", true),
            ("postgres://u@h/d?sslmode=prefer", true),
            ("postgres://u@h/d?sslmode=disable", false),
            ("postgres://u@h/d", false),
        ] {
            let Database::Postgres(config) = Database::parse(url).unwrap() else {
                unreachable!()
            };
            assert_eq!(config.uses_tls(), tls, "{url}");
            if tls {
                assert_eq!(
                    config.config.get_ssl_mode(),
                    tokio_postgres::config::SslMode::Require
                );
            }
        }
    }
}

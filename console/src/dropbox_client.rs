//! The console's HTTPS client to the drop box, for posting access notices and audit
//! checkpoints: rustls on ring (handed its configuration: the WebPKI roots and the CA
//! files given with `--dropbox-ca`), HTTPS only, no redirects, bounded in time, replies
//! read with a size cap.

use std::path::PathBuf;
use std::time::Duration;

use selfreport_endpoint::dropbox::tls_client_config;

use crate::error::ConsoleError;

/// A client for the drop box whose endpoint URL is `url` (`https://HOST:PORT/v1`): the
/// URL without a trailing slash, and the client.
pub fn dropbox_client(
    url: &str,
    ca_files: &[PathBuf],
) -> Result<(String, reqwest::Client), ConsoleError> {
    let base = url.trim_end_matches('/');
    if !base.starts_with("https://") || base.len() <= "https://".len() {
        return Err(ConsoleError::Invalid(
            "the drop box URL must be its https:// endpoint URL".into(),
        ));
    }
    let tls = tls_client_config(ca_files)
        .map_err(|error| ConsoleError::Invalid(format!("--dropbox-ca: {error}")))?;
    let http = reqwest::Client::builder()
        .use_preconfigured_tls(tls)
        .https_only(true)
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(Duration::from_secs(10))
        .timeout(Duration::from_secs(30))
        .build()
        .map_err(|error| ConsoleError::Io(format!("the HTTPS client: {error}")))?;
    Ok((base.to_owned(), http))
}

/// The body of `response`, if it is at most `limit` bytes.
pub async fn read_capped(mut response: reqwest::Response, limit: usize) -> Option<Vec<u8>> {
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.ok()? {
        body.extend_from_slice(&chunk);
        if body.len() > limit {
            return None;
        }
    }
    Some(body)
}

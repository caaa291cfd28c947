//! The blocking facade over `object_store`: the only module that names it or tokio.
//!
//! A [`Backend`] is one remote location (`file:///dir`, `s3://bucket/prefix`, `gs://…`,
//! `az://…`, and `memory://` for tests) opened through `object_store`, with a private
//! current-thread tokio runtime so that the rest of vdb stays synchronous. Every call blocks
//! until the store answers; called from inside another tokio runtime (a SQL function in
//! `vdb serve`), it blocks on a scoped thread instead of nesting runtimes.
//!
//! Keys are relative to the remote's prefix and are built only from fixed words, hex digits
//! and decimal numbers; [`key`] refuses anything else, and [`parse_url`] refuses a URL whose
//! path has `.` or `..` segments, so nothing can address an object outside the remote.
//!
//! Counters of bytes sent and received let tests assert that a transfer is in proportion to
//! what was missing.

use crate::error::{errinput, Error, Result};
use bytes::Bytes;
use futures::TryStreamExt;
use object_store::path::Path;
use object_store::{ObjectStore, PutMode, PutOptions, PutPayload};
use std::future::Future;
use std::ops::Range;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// Options of a remote beyond its URL; credentials come only from the environment.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RemoteOptions {
    /// S3: the endpoint URL of an S3-compatible server (MinIO, a test server); Azure: the
    /// blob endpoint. Default: `AWS_ENDPOINT_URL` / `AWS_ENDPOINT` or the provider's.
    pub endpoint: Option<String>,
    /// S3: the region. Default: `AWS_REGION` / `AWS_DEFAULT_REGION`, else `us-east-1`.
    pub region: Option<String>,
    /// Allow plain `http://` endpoints (local test servers).
    pub allow_http: bool,
}

/// A parsed remote URL.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Location {
    /// A directory on this machine (absolute path).
    File(std::path::PathBuf),
    /// `s3://`, `gs://` or `az://`: scheme, bucket (container), prefix inside it.
    Cloud {
        scheme: String,
        bucket: String,
        prefix: String,
    },
    /// An in-process store, for tests; `memory://NAME` (each open is a new empty store).
    Memory,
}

/// Parses and checks a remote URL.
pub fn parse_url(url: &str) -> Result<Location> {
    let Some((scheme, rest)) = url.split_once("://") else {
        errinput!("remote URL {url:?} has no scheme; use file:///path, s3://bucket/prefix, gs://bucket/prefix or az://container/prefix")
    };
    if url.contains(['?', '#']) || url.chars().any(|c| c.is_control() || c == '\\') {
        errinput!("remote URL {url:?} may not contain '?', '#', '\\' or control characters");
    }
    let lowered = rest.to_ascii_lowercase();
    for segment in lowered.split('/') {
        let decoded = segment.replace("%2e", ".");
        if decoded == "." || decoded == ".." {
            errinput!(
                "remote URL {url:?} has a '.' or '..' path segment; name the location directly"
            );
        }
    }
    match scheme {
        "file" => {
            if !rest.starts_with('/') {
                errinput!("file URL {url:?} must name an absolute path: file:///path");
            }
            if rest.contains('%') {
                errinput!("file URL {url:?} may not contain percent escapes");
            }
            Ok(Location::File(std::path::PathBuf::from(rest)))
        }
        "s3" | "gs" | "az" => {
            let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
            if bucket.is_empty() {
                errinput!("remote URL {url:?} names no bucket");
            }
            let prefix = prefix.trim_end_matches('/');
            if prefix.split('/').any(str::is_empty) && !prefix.is_empty() {
                errinput!("remote URL {url:?} has an empty path segment");
            }
            Ok(Location::Cloud {
                scheme: scheme.to_string(),
                bucket: bucket.to_string(),
                prefix: prefix.to_string(),
            })
        }
        "memory" => Ok(Location::Memory),
        other => errinput!(
            "remote URL scheme {other}:// is not supported; use file://, s3://, gs:// or az://"
        ),
    }
}

/// Builds a key below the remote's prefix from segments made of `[0-9a-z._-]` (no `.`/`..`).
pub fn key(segments: &[&str]) -> Result<Path> {
    for s in segments {
        let ok = !s.is_empty()
            && *s != "."
            && *s != ".."
            && s.bytes()
                .all(|b| b.is_ascii_digit() || b.is_ascii_lowercase() || b"._-".contains(&b));
        if !ok {
            errinput!("object key segment {s:?} is not allowed in a remote");
        }
    }
    Ok(Path::from_iter(segments.iter().copied()))
}

/// One remote location, opened.
pub struct Backend {
    url: String,
    store: Arc<dyn ObjectStore>,
    runtime: tokio::runtime::Runtime,
    sent: AtomicU64,
    received: AtomicU64,
    /// Test hook: puts of keys starting with this fail, as if the connection dropped.
    fail_puts: Mutex<Option<String>>,
}

impl std::fmt::Debug for Backend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Backend").field("url", &self.url).finish()
    }
}

impl Backend {
    /// Opens the location `url` names (a `file://` directory is created if missing).
    pub fn open(url: &str, options: &RemoteOptions) -> Result<Backend> {
        let location = parse_url(url)?;
        let store = build_store(url, &location, options)?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| Error::InvalidInput(format!("cannot start the I/O runtime: {e}")))?;
        Ok(Backend {
            url: url.to_string(),
            store,
            runtime,
            sent: AtomicU64::new(0),
            received: AtomicU64::new(0),
            // Test hook for the CLI tests (an interrupted push); see `fail_puts_under`.
            fail_puts: Mutex::new(std::env::var("VDB_TEST_FAIL_PUTS_UNDER").ok()),
        })
    }

    /// The URL it was opened with.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Bytes uploaded so far.
    pub fn bytes_sent(&self) -> u64 {
        self.sent.load(Ordering::Relaxed)
    }

    /// Bytes downloaded so far.
    pub fn bytes_received(&self) -> u64 {
        self.received.load(Ordering::Relaxed)
    }

    /// Test hook: make every later put of a key starting with `prefix` fail (`None`: stop).
    pub fn fail_puts_under(&self, prefix: Option<&str>) {
        *self.fail_puts.lock().expect("not poisoned") = prefix.map(str::to_string);
    }

    /// Runs `fut` to completion on the private runtime.
    fn block<F: Future + Send>(&self, fut: F) -> F::Output
    where
        F::Output: Send,
    {
        if tokio::runtime::Handle::try_current().is_ok() {
            std::thread::scope(|s| {
                s.spawn(|| self.runtime.block_on(fut))
                    .join()
                    .expect("remote I/O thread panicked")
            })
        } else {
            self.runtime.block_on(fut)
        }
    }

    /// Reads a whole object; `None` if absent.
    pub fn get(&self, key: &Path) -> Result<Option<Bytes>> {
        let result = self.block(async {
            match self.store.get(key).await {
                Ok(r) => r.bytes().await.map(Some),
                Err(object_store::Error::NotFound { .. }) => Ok(None),
                Err(e) => Err(e),
            }
        });
        let bytes = result.map_err(|e| Error::store(format!("reading {key}"), e))?;
        if let Some(b) = &bytes {
            self.received.fetch_add(b.len() as u64, Ordering::Relaxed);
        }
        Ok(bytes)
    }

    /// Reads byte ranges of an object.
    pub fn get_ranges(&self, key: &Path, ranges: &[Range<u64>]) -> Result<Vec<Bytes>> {
        let parts = self
            .block(self.store.get_ranges(key, ranges))
            .map_err(|e| Error::store(format!("reading {key}"), e))?;
        let n: usize = parts.iter().map(Bytes::len).sum();
        self.received.fetch_add(n as u64, Ordering::Relaxed);
        Ok(parts)
    }

    /// Writes an immutable, content-named object (a pack or its index) unless it is already
    /// there; `Ok(false)` if it was. A plain put: two writers of one name write the same bytes,
    /// so this needs no conditional put from the store.
    pub fn put_immutable(&self, key: &Path, bytes: Bytes) -> Result<bool> {
        if self.exists(key)? {
            return Ok(false);
        }
        self.put(key, bytes, PutMode::Overwrite)
    }

    /// Writes `bytes` at `key` unless an object is already there (atomically: a conditional
    /// put). `Ok(false)` if one was.
    pub fn put_new(&self, key: &Path, bytes: Bytes) -> Result<bool> {
        self.put(key, bytes, PutMode::Create)
    }

    fn put(&self, key: &Path, bytes: Bytes, mode: PutMode) -> Result<bool> {
        let failing = self.fail_puts.lock().expect("not poisoned").clone();
        if failing.is_some_and(|p| key.as_ref().starts_with(&p)) {
            return Err(Error::store(
                format!("writing {key}"),
                object_store::Error::Generic {
                    store: "fault injection",
                    source: "the connection dropped (injected)".into(),
                },
            ));
        }
        let len = bytes.len() as u64;
        let opts = PutOptions {
            mode,
            ..PutOptions::default()
        };
        let result = self.block(self.store.put_opts(key, PutPayload::from(bytes), opts));
        match result {
            Ok(_) => {
                self.sent.fetch_add(len, Ordering::Relaxed);
                Ok(true)
            }
            Err(object_store::Error::AlreadyExists { .. }) => Ok(false),
            Err(e) => Err(Error::store(format!("writing {key}"), e)),
        }
    }

    /// Whether an object exists at `key`.
    pub fn exists(&self, key: &Path) -> Result<bool> {
        match self.block(self.store.head(key)) {
            Ok(_) => Ok(true),
            Err(object_store::Error::NotFound { .. }) => Ok(false),
            Err(e) => Err(Error::store(format!("looking up {key}"), e)),
        }
    }

    /// The keys under `prefix` (one key segment), unordered.
    pub fn list(&self, prefix: &str) -> Result<Vec<Path>> {
        let prefix = key(&[prefix])?;
        let metas: Vec<_> = self
            .block(self.store.list(Some(&prefix)).try_collect::<Vec<_>>())
            .map_err(|e| Error::store(format!("listing {prefix}"), e))?;
        Ok(metas.into_iter().map(|m| m.location).collect())
    }

    /// Deletes `key` (absent is fine).
    pub fn delete(&self, key: &Path) -> Result<()> {
        match self.block(self.store.delete(key)) {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(Error::store(format!("deleting {key}"), e)),
        }
    }
}

fn build_store(
    url: &str,
    location: &Location,
    options: &RemoteOptions,
) -> Result<Arc<dyn ObjectStore>> {
    use object_store::prefix::PrefixStore;
    let fail = |e: object_store::Error| Error::store(format!("opening {url}"), e);
    match location {
        Location::File(dir) => {
            std::fs::create_dir_all(dir).map_err(|e| {
                Error::InvalidInput(format!("cannot create {}: {e}", dir.display()))
            })?;
            let fs = object_store::local::LocalFileSystem::new_with_prefix(dir).map_err(fail)?;
            Ok(Arc::new(fs))
        }
        Location::Memory => Ok(Arc::new(object_store::memory::InMemory::new())),
        Location::Cloud {
            scheme,
            bucket,
            prefix,
        } => {
            let base = format!("{scheme}://{bucket}");
            let inner: Arc<dyn ObjectStore> = match scheme.as_str() {
                "s3" => Arc::new(s3(&base, options).build().map_err(fail)?),
                "gs" => Arc::new(
                    object_store::gcp::GoogleCloudStorageBuilder::from_env()
                        .with_url(&base)
                        .build()
                        .map_err(fail)?,
                ),
                _ => {
                    let mut b = object_store::azure::MicrosoftAzureBuilder::from_env()
                        .with_url(&base)
                        .with_allow_http(options.allow_http);
                    if let Some(endpoint) = &options.endpoint {
                        b = b.with_endpoint(endpoint.clone());
                    }
                    Arc::new(b.build().map_err(fail)?)
                }
            };
            if prefix.is_empty() {
                Ok(inner)
            } else {
                let prefix = Path::parse(prefix)
                    .map_err(|e| Error::InvalidInput(format!("remote URL {url:?}: {e}")))?;
                Ok(Arc::new(PrefixStore::new(inner, prefix)))
            }
        }
    }
}

fn s3(base: &str, options: &RemoteOptions) -> object_store::aws::AmazonS3Builder {
    use object_store::aws::{AmazonS3Builder, S3ConditionalPut};
    let mut b = AmazonS3Builder::from_env()
        .with_url(base)
        .with_conditional_put(S3ConditionalPut::ETagMatch);
    if let Ok(endpoint) = std::env::var("AWS_ENDPOINT_URL") {
        b = b.with_endpoint(endpoint);
    }
    if let Some(endpoint) = &options.endpoint {
        b = b.with_endpoint(endpoint);
    }
    if let Some(region) = &options.region {
        b = b.with_region(region);
    }
    if options.allow_http {
        b = b.with_allow_http(true);
    }
    b
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_that_escape_are_refused() {
        for bad in [
            "file:///tmp/a/../b",
            "file:///tmp/a/./b",
            "file:///tmp/%2e%2e/b",
            "file://relative/path",
            "s3://bucket/a/../../other",
            "s3:///prefix",
            "s3://bucket/a//b",
            "gs://b/x?y",
            "ftp://host/x",
            "/no/scheme",
        ] {
            assert!(
                matches!(parse_url(bad), Err(Error::InvalidInput(_))),
                "{bad}"
            );
        }
        assert_eq!(
            parse_url("s3://bucket/team/db/").unwrap(),
            Location::Cloud {
                scheme: "s3".into(),
                bucket: "bucket".into(),
                prefix: "team/db".into()
            }
        );
        assert!(matches!(
            parse_url("file:///tmp/x").unwrap(),
            Location::File(_)
        ));
    }

    #[test]
    fn keys_stay_inside_the_prefix() {
        assert!(key(&["packs", "0123abcd.pack"]).is_ok());
        for bad in ["..", ".", "", "a/b", "A", "x y", "%2e"] {
            assert!(key(&["packs", bad]).is_err(), "{bad:?}");
        }
    }
}

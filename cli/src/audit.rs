//! `sagefence audit verify`: reads the trail from a directory or a bucket, one object at a time,
//! and walks its chains against the signing key's public key and the heads published outside
//! the bucket.

use std::io::Read as _;
use std::path::{Path, PathBuf};

use sagefence_audit::trail::{Objects, PublicKeys, PublishedHead};
use sagefence_aws::ports::TrailReader;
use sagefence_aws::S3Trail;

use crate::error::CliError;

/// A local copy of the trail: each file keyed as the bucket keyed it, `prefix` + its path under
/// the directory. Symbolic links are refused: a copy an auditor verifies holds only files.
#[derive(Debug)]
pub struct Directory {
    root: PathBuf,
    prefix: String,
}

impl Directory {
    /// The copy in `root`, made from under `prefix`.
    pub fn new(root: &Path, prefix: &str) -> Directory {
        Directory {
            root: root.to_owned(),
            prefix: prefix.to_owned(),
        }
    }

    fn walk(&self, dir: &Path, out: &mut Vec<String>) -> Result<(), String> {
        let entries = std::fs::read_dir(dir).map_err(|e| format!("`{}`: {e}", dir.display()))?;
        for entry in entries {
            let path = entry.map_err(|e| format!("`{}`: {e}", dir.display()))?.path();
            let kind = std::fs::symlink_metadata(&path)
                .map_err(|e| format!("`{}`: {e}", path.display()))?
                .file_type();
            if kind.is_symlink() {
                return Err(format!(
                    "`{}` is a symbolic link; a trail copy holds only files",
                    path.display()
                ));
            }
            if kind.is_dir() {
                self.walk(&path, out)?;
            } else if kind.is_file() {
                let relative = path.strip_prefix(&self.root).unwrap_or(&path);
                let key: Vec<String> = relative
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy().into_owned())
                    .collect();
                out.push(format!("{}{}", self.prefix, key.join("/")));
            }
        }
        Ok(())
    }
}

impl Objects for Directory {
    fn keys(&mut self) -> Result<Vec<String>, String> {
        let mut keys = Vec::new();
        self.walk(&self.root.clone(), &mut keys)?;
        Ok(keys)
    }

    fn read(&mut self, key: &str, max_bytes: u64) -> Result<Option<Vec<u8>>, String> {
        let Some(relative) = key.strip_prefix(&self.prefix) else {
            return Ok(None);
        };
        if relative.split('/').any(|part| part == ".." || part.is_empty()) {
            return Ok(None);
        }
        let path = self.root.join(relative);
        let file = match std::fs::symlink_metadata(&path) {
            Ok(meta) if meta.file_type().is_file() => std::fs::File::open(&path),
            Ok(_) => return Err(format!("`{}` is not a regular file", path.display())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(format!("`{}`: {e}", path.display())),
        };
        let mut bytes = Vec::new();
        file.and_then(|f| f.take(max_bytes + 1).read_to_end(&mut bytes))
            .map_err(|e| format!("`{}`: {e}", path.display()))?;
        if bytes.len() as u64 > max_bytes {
            return Err(format!("`{}` is over {max_bytes} bytes", path.display()));
        }
        Ok(Some(bytes))
    }
}

/// The trail in a bucket, read through S3 one object at a time.
pub struct Bucket {
    runtime: tokio::runtime::Runtime,
    store: S3Trail,
    prefix: String,
}

impl Bucket {
    /// The trail under `prefix` in `bucket` (credentials and region from the usual settings).
    pub fn new(bucket: &str, prefix: &str) -> Result<Bucket, CliError> {
        let runtime = runtime()?;
        let config = runtime.block_on(aws_config::load_from_env());
        Ok(Bucket {
            store: S3Trail::new(sagefence_aws::s3_client(&config), bucket, None),
            runtime,
            prefix: prefix.to_owned(),
        })
    }
}

impl Objects for Bucket {
    fn keys(&mut self) -> Result<Vec<String>, String> {
        self.runtime
            .block_on(self.store.list(&self.prefix))
            .map_err(|e| e.to_string())
    }

    fn read(&mut self, key: &str, max_bytes: u64) -> Result<Option<Vec<u8>>, String> {
        let bytes = self
            .runtime
            .block_on(TrailReader::get(&self.store, key))
            .map_err(|e| e.to_string())?;
        match bytes {
            Some(bytes) if bytes.len() as u64 > max_bytes => Err(format!("`{key}` is over {max_bytes} bytes")),
            found => Ok(found),
        }
    }
}

fn runtime() -> Result<tokio::runtime::Runtime, CliError> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(CliError::Runtime)
}

/// The public keys to verify with: files (DER, PEM or base64, as `aws kms get-public-key`
/// prints them) and keys read through KMS `GetPublicKey`.
pub fn public_keys(files: &[PathBuf], key_ids: &[String]) -> Result<PublicKeys, CliError> {
    let mut keys = Vec::new();
    for path in files {
        keys.push(std::fs::read(path).map_err(|source| CliError::Read {
            path: path.clone(),
            source,
        })?);
    }
    if !key_ids.is_empty() {
        let runtime = runtime()?;
        let config = runtime.block_on(aws_config::load_from_env());
        let kms = aws_sdk_kms::Client::new(&config);
        for key_id in key_ids {
            let answer = runtime
                .block_on(kms.get_public_key().key_id(key_id).send())
                .map_err(|e| CliError::Usage(format!("cannot read the public key of `{key_id}`: {e}")))?;
            let der = answer
                .public_key()
                .ok_or_else(|| CliError::Usage(format!("`{key_id}` answered no public key")))?;
            keys.push(der.as_ref().to_vec());
        }
    }
    if keys.is_empty() {
        return Err(CliError::Usage(
            "give the signing key: `--public-key FILE` or `--key-id ARN`".to_owned(),
        ));
    }
    PublicKeys::new(keys).map_err(|e| CliError::Usage(format!("a public key is unreadable: {e}")))
}

/// The heads published in `path` (log lines, or `aws logs filter-log-events` output).
pub fn heads(path: Option<&Path>) -> Result<Vec<PublishedHead>, CliError> {
    let Some(path) = path else {
        return Ok(Vec::new());
    };
    let text = std::fs::read_to_string(path).map_err(|source| CliError::Read {
        path: path.to_owned(),
        source,
    })?;
    Ok(PublishedHead::parse_all(&text))
}

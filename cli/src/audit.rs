//! `sagefence audit verify`: reads the trail from a directory or a bucket and walks its chains.

use std::path::{Path, PathBuf};

use sagefence_audit::trail;
use sagefence_aws::ports::TrailReader;
use sagefence_aws::S3Trail;

use crate::error::CliError;

/// Every file under `dir`, keyed as the bucket keyed it: `prefix` + its path under `dir`.
pub fn read_dir(dir: &Path, prefix: &str) -> Result<Vec<(String, Vec<u8>)>, CliError> {
    let mut files = Vec::new();
    walk(dir, &mut files)?;
    let mut objects = Vec::new();
    for path in files {
        let relative = path.strip_prefix(dir).unwrap_or(&path);
        let key = relative
            .components()
            .map(|c| c.as_os_str().to_string_lossy())
            .collect::<Vec<_>>()
            .join("/");
        let bytes = std::fs::read(&path).map_err(|source| CliError::Read { path, source })?;
        objects.push((format!("{prefix}{key}"), bytes));
    }
    if objects.is_empty() {
        return Err(CliError::EmptyTrail(dir.display().to_string()));
    }
    Ok(objects)
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), CliError> {
    let read = |source| CliError::Read {
        path: dir.to_owned(),
        source,
    };
    for entry in std::fs::read_dir(dir).map_err(read)? {
        let path = entry.map_err(read)?.path();
        if path.is_dir() {
            walk(&path, out)?;
        } else {
            out.push(path);
        }
    }
    Ok(())
}

/// Every batch and digest under `prefix` in `bucket` (record markers are not read).
pub fn read_bucket(bucket: &str, prefix: &str) -> Result<Vec<(String, Vec<u8>)>, CliError> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(CliError::Runtime)?;
    runtime.block_on(async {
        let config = aws_config::load_from_env().await;
        let store = S3Trail::new(sagefence_aws::s3_client(&config), bucket, None);
        let mut objects = Vec::new();
        let keys = store.list(prefix).await.map_err(CliError::aws("S3"))?;
        for key in keys.into_iter().filter(|key| trail::is_chain_object(key)) {
            if let Some(bytes) = TrailReader::get(&store, &key).await.map_err(CliError::aws("S3"))? {
                objects.push((key, bytes));
            }
        }
        if objects.is_empty() {
            return Err(CliError::EmptyTrail(format!("s3://{bucket}/{prefix}")));
        }
        Ok(objects)
    })
}

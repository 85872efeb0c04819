//! The audit-shipper's configuration, read once at cold start from the environment.

use sagefence_aws::settings::{SettingsError, Vars};

/// Environment variable names.
pub mod env {
    /// The bucket of the OCSF trail.
    pub const TRAIL_BUCKET: &str = "SAGEFENCE_TRAIL_BUCKET";
    /// The KMS key the trail's objects are encrypted with.
    pub const TRAIL_KMS_KEY_ID: &str = "SAGEFENCE_TRAIL_KMS_KEY_ID";
    /// The asymmetric KMS key (`ECC_NIST_P256`, `SIGN_VERIFY`) that signs the trail's digests.
    pub const TRAIL_SIGNING_KEY: &str = "SAGEFENCE_TRAIL_SIGNING_KEY";
    /// The key prefix of the trail (optional, empty by default).
    pub const TRAIL_PREFIX: &str = "SAGEFENCE_TRAIL_PREFIX";
    /// The account of records that name none.
    pub const ACCOUNT_ID: &str = "SAGEFENCE_ACCOUNT_ID";
}

/// Everything the audit-shipper reads from the environment at cold start (its region comes
/// from the SDK configuration).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Environment {
    /// The trail's bucket.
    pub trail_bucket: String,
    /// The trail's KMS key.
    pub trail_kms_key_id: String,
    /// The digests' signing key.
    pub trail_signing_key: String,
    /// The trail's key prefix.
    pub trail_prefix: String,
    /// The function's account.
    pub account: String,
}

impl Environment {
    /// Reads the configuration through `var` (the process environment in `main`).
    pub fn read(var: impl Fn(&str) -> Option<String>) -> Result<Environment, SettingsError> {
        let vars = Vars::new(var);
        Ok(Environment {
            trail_bucket: vars.required(env::TRAIL_BUCKET)?,
            trail_kms_key_id: vars.required(env::TRAIL_KMS_KEY_ID)?,
            trail_signing_key: vars.required(env::TRAIL_SIGNING_KEY)?,
            trail_prefix: vars.or(env::TRAIL_PREFIX, ""),
            account: vars.required(env::ACCOUNT_ID)?,
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;

    fn from<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| pairs.iter().find(|(n, _)| *n == name).map(|(_, v)| (*v).to_owned())
    }

    const SET: [(&str, &str); 4] = [
        (env::TRAIL_BUCKET, "trail"),
        (env::TRAIL_KMS_KEY_ID, "key"),
        (env::TRAIL_SIGNING_KEY, "signing"),
        (env::ACCOUNT_ID, "123456789012"),
    ];

    #[test]
    fn reads_every_setting_and_defaults_the_prefix() {
        let read = Environment::read(from(&SET)).unwrap();
        assert_eq!(read.trail_bucket, "trail");
        assert_eq!(read.trail_kms_key_id, "key");
        assert_eq!(read.trail_signing_key, "signing");
        assert_eq!(read.trail_prefix, "");
        assert_eq!(read.account, "123456789012");
    }

    #[test]
    fn a_blank_required_setting_is_named() {
        let mut set = SET;
        set[1] = (env::TRAIL_KMS_KEY_ID, " ");
        match Environment::read(from(&set)) {
            Err(error) => assert_eq!(error.name, env::TRAIL_KMS_KEY_ID),
            other => panic!("expected a missing setting, got {other:?}"),
        }
    }
}

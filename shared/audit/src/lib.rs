//! sagefence's audit formats: the audit record every function writes, its OCSF 1.3 lines, the
//! ASFF findings sent to Security Hub, and the digest-chained trail an auditor verifies. Pure:
//! the audit-shipper and the CLI bring the I/O.

pub mod asff;
pub mod audit;
pub mod ocsf;
pub mod trail;

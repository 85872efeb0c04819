//! The sweeper Lambda: scheduled sweeps that find and fix drift.
//! Its handler arrives with its own issue; this binary only reserves the place in the workspace.

fn main() {}

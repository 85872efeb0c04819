//! The harness itself: shutdown on drop and start-up errors that name their cause.
//!
//! One test function only, since it changes `SAGEFENCE_PYTHON` for the whole process.

use std::net::TcpStream;

use sagefence_tests::{Emulator, HarnessError};

#[tokio::test]
async fn drop_stops_the_server_and_start_errors_name_their_cause() {
    let emulator = Emulator::start().await.unwrap();
    let port = emulator.port();
    assert_eq!(emulator.endpoint_url(), format!("http://127.0.0.1:{port}"));
    assert!(emulator.log_path().is_file());
    let answer = emulator.control("config", &serde_json::json!({})).await.unwrap();
    assert_eq!(answer["config"]["notebook_initial_status"], "InService");
    drop(emulator);
    assert!(TcpStream::connect(("127.0.0.1", port)).is_err());

    std::env::set_var("SAGEFENCE_PYTHON", "/nonexistent/sagefence/python");
    let error = Emulator::start().await.unwrap_err();
    assert!(matches!(error, HarnessError::Spawn { .. }), "{error:?}");
    assert!(error.to_string().contains("/nonexistent/sagefence/python"), "{error}");

    std::env::set_var("SAGEFENCE_PYTHON", "/bin/false");
    let error = Emulator::start().await.unwrap_err();
    assert!(matches!(error, HarnessError::Exited { .. }), "{error:?}");
    assert!(error.to_string().contains("sagefence-emulator"), "{error}");
    std::env::remove_var("SAGEFENCE_PYTHON");
}

//! Minimal HTTP/1.1 client for the emulator's loopback test controls.

use std::io;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// How long one control request may take, connect to last byte.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// An HTTP answer: status code and body.
#[derive(Debug)]
pub(crate) struct Answer {
    /// The status code.
    pub(crate) status: u16,
    /// The body bytes.
    pub(crate) body: Vec<u8>,
}

/// Sends one request to `127.0.0.1:port` (`Connection: close`) and reads the answer.
pub(crate) async fn request(port: u16, method: &str, path: &str, body: Option<&[u8]>) -> io::Result<Answer> {
    tokio::time::timeout(REQUEST_TIMEOUT, exchange(port, method, path, body))
        .await
        .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "no answer within 10 s"))?
}

async fn exchange(port: u16, method: &str, path: &str, body: Option<&[u8]>) -> io::Result<Answer> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).await?;
    let body = body.unwrap_or_default();
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await?;
    stream.write_all(body).await?;
    stream.flush().await?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await?;
    parse(&raw)
}

fn parse(raw: &[u8]) -> io::Result<Answer> {
    let invalid = |what: &str| io::Error::new(io::ErrorKind::InvalidData, what.to_owned());
    let split = raw
        .windows(4)
        .position(|window| window == b"\r\n\r\n")
        .ok_or_else(|| invalid("answer has no header end"))?;
    let (head, rest) = raw.split_at(split);
    let head = std::str::from_utf8(head).map_err(|_| invalid("answer head is not utf-8"))?;
    let status = head
        .lines()
        .next()
        .and_then(|line| line.split_whitespace().nth(1))
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| invalid("answer has no status line"))?;
    let body = rest.get(4..).unwrap_or_default().to_vec();
    Ok(Answer { status, body })
}

#[cfg(test)]
mod tests {
    use super::parse;

    #[test]
    fn parses_status_and_body() {
        let answer = parse(b"HTTP/1.1 404 NOT FOUND\r\nContent-Length: 2\r\n\r\n{}").unwrap();
        assert_eq!(answer.status, 404);
        assert_eq!(answer.body, b"{}");
    }

    #[test]
    fn rejects_truncated_answers() {
        assert!(parse(b"HTTP/1.1 200 OK\r\n").is_err());
        assert!(parse(b"garbage\r\n\r\n").is_err());
    }
}

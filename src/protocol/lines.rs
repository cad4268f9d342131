//! Reading one line with a size limit, and giving up on a line that stops half way:
//! a peer that announces nothing can still send a gigabyte without a newline, or half a
//! request and then silence.

use std::time::Duration;

use tokio::io::{AsyncBufRead, AsyncBufReadExt as _};

#[derive(Debug, thiserror::Error)]
pub enum LineError {
    #[error("line longer than {0} bytes")]
    TooLong(usize),
    #[error("half a line, then nothing for {0:?}")]
    Stalled(Duration),
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

/// Reads the next line into `buf` (without its newline). `Ok(false)`: the peer closed
/// at a line boundary. Once part of a line is in, the rest must follow within `stall`.
pub async fn read_line<R: AsyncBufRead + Unpin>(
    reader: &mut R,
    buf: &mut Vec<u8>,
    max: usize,
    stall: Duration,
) -> Result<bool, LineError> {
    buf.clear();
    loop {
        let available = if buf.is_empty() {
            reader.fill_buf().await?
        } else {
            match tokio::time::timeout(stall, reader.fill_buf()).await {
                Ok(r) => r?,
                Err(_) => return Err(LineError::Stalled(stall)),
            }
        };
        if available.is_empty() {
            if buf.is_empty() {
                return Ok(false);
            }
            return Err(LineError::Io(std::io::ErrorKind::UnexpectedEof.into()));
        }
        let (take, done) = match available.iter().position(|b| *b == b'\n') {
            Some(i) => (i, true),
            None => (available.len(), false),
        };
        if buf.len() + take > max {
            return Err(LineError::TooLong(max));
        }
        buf.extend_from_slice(&available[..take]);
        reader.consume(if done { take + 1 } else { take });
        if done {
            if buf.last() == Some(&b'\r') {
                buf.pop();
            }
            return Ok(true);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn lines_are_cut_at_newlines_and_the_limit_holds() {
        let mut r = tokio::io::BufReader::new(&b"ab\r\ncd\nxyzxyz\n"[..]);
        let mut buf = Vec::new();
        let stall = Duration::from_secs(1);
        assert!(read_line(&mut r, &mut buf, 5, stall).await.unwrap());
        assert_eq!(buf, b"ab");
        assert!(read_line(&mut r, &mut buf, 5, stall).await.unwrap());
        assert_eq!(buf, b"cd");
        assert!(matches!(
            read_line(&mut r, &mut buf, 5, stall).await,
            Err(LineError::TooLong(5))
        ));
    }

    #[tokio::test]
    async fn half_a_line_then_silence_gives_up() {
        let (mut client, server) = tokio::io::duplex(64);
        tokio::io::AsyncWriteExt::write_all(&mut client, b"{\"jsonrpc\"")
            .await
            .unwrap();
        let mut r = tokio::io::BufReader::new(server);
        let mut buf = Vec::new();
        let r = read_line(&mut r, &mut buf, 100, Duration::from_millis(50)).await;
        assert!(matches!(r, Err(LineError::Stalled(_))));
        drop(client);
    }
}

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

/// Reads the rest of the next line into `buf` (without its newline); the caller clears
/// `buf` once it has used a complete line. `Ok(false)`: the peer closed at a line
/// boundary. Once part of a line is in, the rest must follow within `stall`.
///
/// Cancel-safe, as `tokio::select!` needs it: bytes taken from the reader are in `buf`
/// before anything is awaited again, so a call dropped half way loses nothing and the
/// next call goes on where it stopped.
pub async fn read_line<R: AsyncBufRead + Unpin>(
    reader: &mut R,
    buf: &mut Vec<u8>,
    max: usize,
    stall: Duration,
) -> Result<bool, LineError> {
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
        buf.clear();
        assert!(read_line(&mut r, &mut buf, 5, stall).await.unwrap());
        assert_eq!(buf, b"cd");
        buf.clear();
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

    #[tokio::test]
    async fn a_read_dropped_half_way_loses_nothing() {
        let (mut client, server) = tokio::io::duplex(64);
        let mut r = tokio::io::BufReader::new(server);
        let mut buf = Vec::new();
        let stall = Duration::from_secs(5);
        tokio::io::AsyncWriteExt::write_all(&mut client, b"{\"half\":")
            .await
            .unwrap();
        // Something else wins the select: this read is dropped after taking the half.
        let dropped = tokio::time::timeout(
            Duration::from_millis(50),
            read_line(&mut r, &mut buf, 100, stall),
        )
        .await;
        assert!(dropped.is_err());
        tokio::io::AsyncWriteExt::write_all(&mut client, b"1}\n")
            .await
            .unwrap();
        assert!(read_line(&mut r, &mut buf, 100, stall).await.unwrap());
        assert_eq!(buf, b"{\"half\":1}");
    }
}

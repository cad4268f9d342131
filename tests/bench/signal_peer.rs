//! A scripted signal-cli on a UNIX socket for the benches: it answers requests as
//! signal-cli 0.14 does and writes the receive notifications it is given.

use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, BufWriter};
use tokio::net::UnixListener;
use tokio::sync::mpsc;

pub const OWN: &str = "+493012345678";

/// A receive notification as signal-cli 0.14 writes it in manual receive mode.
pub fn notification(customer: usize, ts: i64, text: &str) -> String {
    let number = format!("+49151{customer:07}");
    json!({"jsonrpc":"2.0","method":"receive","params":{"subscription":0,"result":{
        "account":OWN,"envelope":{"source":number,"sourceNumber":number,
        "sourceUuid":format!("0000{customer:04}-2b4a-4c5d-9e8f-0a1b2c3d4e5f"),
        "sourceName":format!("Kunde {customer}"),"sourceDevice":1,"timestamp":ts,
        "serverReceivedTimestamp":ts+120,"serverDeliveredTimestamp":ts+450,
        "dataMessage":{"timestamp":ts,"message":text,"expiresInSeconds":0,"viewOnce":false}}}}})
    .to_string()
}

/// Lines the peer writes, in order; it answers requests itself.
pub fn peer(socket: &std::path::Path) -> mpsc::Sender<String> {
    // Bounded, as a socket is: the generator does not run ahead and inflate the RSS.
    let (tx, mut rx) = mpsc::channel::<String>(4096);
    let listener = UnixListener::bind(socket).unwrap();
    tokio::spawn(async move {
        let (sock, _) = listener.accept().await.unwrap();
        let (r, w) = sock.into_split();
        // Each send gets its own timestamp, as signal-cli's clock gives it.
        let mut sent_ts = 1_767_300_000_000i64;
        let mut w = BufWriter::with_capacity(1 << 16, w);
        let mut lines = BufReader::new(r).lines();
        loop {
            tokio::select! {
                line = lines.next_line() => {
                    let Ok(Some(line)) = line else { return };
                    let req: Value = serde_json::from_str(&line).unwrap();
                    let result = match req["method"].as_str() {
                        Some("version") => json!({"version": "0.14.6"}),
                        Some("subscribeReceive") => json!(0),
                        Some("listContacts" | "listIdentities") => json!([]),
                        _ => {
                            sent_ts += 1;
                            json!({"timestamp": sent_ts})
                        }
                    };
                    let reply = json!({"jsonrpc":"2.0","result":result,"id":req["id"]});
                    w.write_all(format!("{reply}\n").as_bytes()).await.unwrap();
                    w.flush().await.unwrap();
                }
                line = rx.recv() => {
                    let Some(line) = line else { return };
                    w.write_all(line.as_bytes()).await.unwrap();
                    w.write_all(b"\n").await.unwrap();
                    // Flush when the queue is empty: bursts go out in big writes.
                    if rx.is_empty() {
                        w.flush().await.unwrap();
                    }
                }
            }
        }
    });
    tx
}

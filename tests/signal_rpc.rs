//! The signal-cli JSON-RPC client against a scripted peer on 127.0.0.1 that behaves as
//! signal-cli does on the wire (replies out of order, notifications in between) and as
//! a broken one might (malformed and oversized frames, dying mid-line). Issue 4.

use std::time::Duration;

use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tresen::connector::signal::frames::MAX_FRAME;
use tresen::connector::signal::rpc::{CallError, Incoming, RpcClient};

/// A peer: accepts one connection and hands it to `script`.
async fn peer<F, Fut>(script: F) -> TcpStream
where
    F: FnOnce(BufReader<tokio::net::tcp::OwnedReadHalf>, tokio::net::tcp::OwnedWriteHalf) -> Fut
        + Send
        + 'static,
    Fut: std::future::Future<Output = ()> + Send,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let (sock, _) = listener.accept().await.unwrap();
        let (r, w) = sock.into_split();
        script(BufReader::new(r), w).await;
    });
    TcpStream::connect(addr).await.unwrap()
}

async fn request(r: &mut BufReader<tokio::net::tcp::OwnedReadHalf>) -> Value {
    let mut line = String::new();
    r.read_line(&mut line).await.unwrap();
    let v: Value = serde_json::from_str(&line).unwrap();
    assert_eq!(v["jsonrpc"], "2.0", "{line}");
    assert!(v["id"].is_u64(), "{line}");
    v
}

async fn send(w: &mut tokio::net::tcp::OwnedWriteHalf, v: Value) {
    w.write_all(format!("{v}\n").as_bytes()).await.unwrap();
}

const T: Duration = Duration::from_secs(5);

#[tokio::test]
async fn replies_out_of_order_reach_their_callers_and_bad_lines_are_skipped() {
    let stream = peer(|mut r, mut w| async move {
        let reqs = [request(&mut r).await, request(&mut r).await, request(&mut r).await];
        // Answer in reverse, with a notification, garbage and an unknown id in between.
        for (i, req) in reqs.iter().enumerate().rev() {
            send(&mut w, json!({"jsonrpc":"2.0","result":{"echo": req["method"], "n": i},"id": req["id"]})).await;
            if i == 1 {
                send(&mut w, json!({"jsonrpc":"2.0","method":"receive","params":{"envelope":{"timestamp":1}}})).await;
                w.write_all(b"{not json\n").await.unwrap();
                send(&mut w, json!({"jsonrpc":"2.0","result":0,"id": 999})).await;
            }
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    })
    .await;
    let (client, mut incoming) = RpcClient::start(stream);
    let (a, b, c) = tokio::join!(
        client.call("version", Value::Null, T),
        client.call("listAccounts", Value::Null, T),
        client.call("listGroups", json!({"account": "+49"}), T),
    );
    assert_eq!(a.unwrap()["echo"], "version");
    assert_eq!(b.unwrap()["echo"], "listAccounts");
    assert_eq!(c.unwrap()["echo"], "listGroups");
    let first = incoming.recv().await.unwrap();
    assert!(
        matches!(first, Incoming::Notification { ref method, .. } if method == "receive"),
        "{first:?}"
    );
    let second = incoming.recv().await.unwrap();
    assert!(
        matches!(second, Incoming::Skipped(ref why) if why.contains("not JSON")),
        "{second:?}"
    );
}

#[tokio::test]
async fn error_replies_and_timeouts() {
    let stream = peer(|mut r, mut w| async move {
        let req = request(&mut r).await;
        send(&mut w, json!({"jsonrpc":"2.0","error":{"code":-5,"message":"Rate limit exceeded","data":null},"id": req["id"]})).await;
        let slow = request(&mut r).await; // never answered in time
        let next = request(&mut r).await;
        send(&mut w, json!({"jsonrpc":"2.0","result":"late","id": slow["id"]})).await;
        send(&mut w, json!({"jsonrpc":"2.0","result":"ok","id": next["id"]})).await;
        tokio::time::sleep(Duration::from_secs(1)).await;
    })
    .await;
    let (client, _incoming) = RpcClient::start(stream);
    let err = client
        .call("send", json!({"message": "x"}), T)
        .await
        .unwrap_err();
    let CallError::Rpc(e) = err else {
        panic!("{err:?}")
    };
    assert_eq!(e.code, -5);
    assert!(e.explain().contains("rate-limiting"), "{}", e.explain());
    let slow = client
        .call("send", Value::Null, Duration::from_millis(200))
        .await;
    assert!(
        matches!(slow, Err(CallError::Timeout { ref method, .. }) if method == "send"),
        "{slow:?}"
    );
    // The late answer to the timed-out call does not confuse the next one.
    assert_eq!(client.call("version", Value::Null, T).await.unwrap(), "ok");
}

#[tokio::test]
async fn an_oversized_frame_is_skipped_and_reading_goes_on() {
    let stream = peer(|_r, mut w| async move {
        let big = vec![b'x'; MAX_FRAME + 1024];
        w.write_all(&big).await.unwrap();
        w.write_all(b"\n").await.unwrap();
        send(
            &mut w,
            json!({"jsonrpc":"2.0","method":"receive","params":{"n": 2}}),
        )
        .await;
        tokio::time::sleep(Duration::from_secs(1)).await;
    })
    .await;
    let (_client, mut incoming) = RpcClient::start(stream);
    let first = incoming.recv().await.unwrap();
    assert!(
        matches!(first, Incoming::Skipped(ref why) if why.contains("bytes")),
        "{first:?}"
    );
    let second = incoming.recv().await.unwrap();
    assert_eq!(
        second,
        Incoming::Notification {
            method: "receive".into(),
            params: json!({"n": 2})
        }
    );
}

#[tokio::test]
async fn a_peer_dying_mid_line_fails_waiting_calls_and_closes_the_channel() {
    let stream = peer(|mut r, mut w| async move {
        let _ = request(&mut r).await;
        send(
            &mut w,
            json!({"jsonrpc":"2.0","method":"receive","params":{"n": 1}}),
        )
        .await;
        w.write_all(br#"{"jsonrpc":"2.0","result":{"half"#)
            .await
            .unwrap();
        // dropped here: connection closed mid-frame
    })
    .await;
    let (client, mut incoming) = RpcClient::start(stream);
    let r = client.call("version", Value::Null, T).await;
    assert_eq!(r, Err(CallError::Closed));
    // What arrived before the death is still delivered, then the channel ends.
    assert!(matches!(
        incoming.recv().await,
        Some(Incoming::Notification { .. })
    ));
    assert!(incoming.recv().await.is_none());
    assert_eq!(
        client.call("version", Value::Null, T).await,
        Err(CallError::Closed)
    );
}

//! The heartbeat against a websocket endpoint on loopback: one that stops answering (its socket left open, as a
//! node that vanished leaves it) ends the subscription; a quiet one that still answers keeps it.

use super::*;
use futures_util::SinkExt;
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message;

/// A websocket endpoint that confirms the first subscription and then answers every request only if `answering`.
async fn endpoint(answering: bool) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bound");
    let address = listener.local_addr().expect("address");
    tokio::spawn(async move {
        let (tcp, _) = listener.accept().await.expect("accepted");
        let mut socket = tokio_tungstenite::accept_async(tcp).await.expect("websocket");
        let mut answered = 0u64;
        while let Some(Ok(message)) = socket.next().await {
            let Message::Text(text) = message else { continue };
            let request: serde_json::Value = serde_json::from_str(&text).expect("JSON-RPC");
            if answered == 0 || answering {
                answered += 1;
                let reply = serde_json::json!({"jsonrpc": "2.0", "result": answered, "id": request["id"]});
                if socket.send(Message::Text(reply.to_string().into())).await.is_err() {
                    return;
                }
            }
        }
    });
    format!("ws://{address}")
}

const FAST: Heartbeat = Heartbeat { every: Duration::from_millis(100), deadline: Duration::from_millis(200) };

#[tokio::test]
async fn a_socket_that_stops_answering_ends_the_subscription() {
    let url = endpoint(false).await;
    let watch = AccountWatch::start(&url, Pubkey::new_unique(), RpcProgramAccountsConfig::default(), FAST)
        .await
        .expect("subscribed");
    assert!(watch.is_live());
    tokio::time::sleep(Duration::from_millis(900)).await;
    assert!(!watch.is_live(), "a missed heartbeat ends it: the keeper scans until it subscribes again");
}

#[tokio::test]
async fn a_quiet_socket_that_answers_stays_live() {
    let url = endpoint(true).await;
    let watch = AccountWatch::start(&url, Pubkey::new_unique(), RpcProgramAccountsConfig::default(), FAST)
        .await
        .expect("subscribed");
    tokio::time::sleep(Duration::from_millis(900)).await;
    assert!(watch.is_live(), "no notification for a while is not a dead socket");
}

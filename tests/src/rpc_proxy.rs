//! A JSON-RPC proxy in front of the local node that misbehaves on cue, as a public endpoint does in a crash: it
//! refuses requests for a while (HTTP 503), swallows a transaction it says it sent, loses the answer to one the
//! node took, hands out a blockhash that has expired, or runs an action (restarting the node) as a given
//! transaction goes by. Each fault is scheduled by the ordinal of the `sendTransaction` it arrives with, so a run
//! meets it at the same point every time, and the proxy counts what it did so a test can prove the fault was met.
//!
//! HTTP/1.1 with one request per connection (it answers `Connection: close`), which is all the Solana client needs.

use base64::Engine as _;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex, MutexGuard};

/// What happens as the `sendTransaction` of a scheduled ordinal (1-based) passes.
pub enum Fault {
    /// This request and the next `count - 1` (any method) are refused with HTTP 503.
    Refuse { count: u32 },
    /// The transaction is answered with its own signature and never reaches the node: dropped once (a sender that
    /// broadcasts the same bytes again gets it through).
    DropOnce,
    /// As [`Fault::DropOnce`], and every later broadcast of the same signature too: a transaction blackholed.
    Drop,
    /// The transaction reaches the node, but its answer is lost (HTTP 502): the sender cannot tell it landed.
    LoseAnswer,
    /// The next `getLatestBlockhash` answers a blockhash the proxy took as it started (long expired by then).
    ExpiredBlockhash,
    /// Runs before the transaction is passed on (e.g. the node begins a restart, so the send meets a dead port).
    Before(Box<dyn FnMut() + Send>),
    /// Runs once the node has taken the transaction, before the sender hears so (e.g. the node restarts as the
    /// sender begins to await confirmation: its first status poll meets a dead port).
    After(Box<dyn FnMut() + Send>),
}

/// What the proxy has done, for a test's assertions.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct FaultCounts {
    pub sends: u64,
    pub refused: u32,
    pub dropped: u32,
    pub answers_lost: u32,
    pub expired_blockhashes_served: u32,
    /// Transactions the node refused because their blockhash had expired (proof the expired one was used).
    pub expired_refusals: u32,
    /// Requests the node did not answer (its port closed: a restart).
    pub unreachable: u32,
    /// Of those, status polls (`getSignatureStatuses`): a sender awaiting confirmation met the restart.
    pub unreachable_polls: u32,
    pub actions: u32,
}

#[derive(Default)]
struct State {
    schedule: Vec<(u64, Fault)>,
    /// Signatures whose every broadcast is dropped.
    blackholed: Vec<String>,
    /// Every request's method, in the order they arrived.
    methods: Vec<String>,
    /// The transactions a scheduled fault met (wire bytes), so a test can check what it hit.
    faulted: Vec<Vec<u8>>,
    refusing: u32,
    expire_next_blockhash: bool,
    /// Taken as the proxy starts; expired by the time a fault serves it.
    old_blockhash: Option<String>,
    counts: FaultCounts,
}

pub struct RpcProxy {
    pub url: String,
    state: Arc<Mutex<State>>,
}

impl RpcProxy {
    /// A proxy on a free port passing requests to `upstream` (`http://host:port`).
    pub fn start(upstream: &str) -> Result<Self, String> {
        let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| format!("the proxy's port: {e}"))?;
        let port = listener.local_addr().map_err(|e| e.to_string())?.port();
        let upstream = upstream.trim_start_matches("http://").trim_end_matches('/').to_string();
        // A blockhash no transaction of the run is signed with: served later as the expired one, it cannot make a
        // transaction byte-identical to one already sent (which the node would refuse as already processed).
        let request = br#"{"jsonrpc":"2.0","id":0,"method":"getLatestBlockhash"}"#;
        let answer = forward(&upstream, request).map_err(|e| format!("the proxy's first blockhash: {e}"))?;
        let answer: serde_json::Value = serde_json::from_slice(&answer).map_err(|e| e.to_string())?;
        let expired = answer["result"]["value"]["blockhash"].as_str().map(str::to_string);
        let state = Arc::new(Mutex::new(State { old_blockhash: expired, ..State::default() }));
        let shared = Arc::clone(&state);
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (state, upstream) = (Arc::clone(&shared), upstream.clone());
                std::thread::spawn(move || {
                    let _ = serve(stream, &upstream, &state);
                });
            }
        });
        Ok(Self { url: format!("http://127.0.0.1:{port}"), state })
    }

    /// Schedules `fault` for the `ordinal`-th `sendTransaction` (1-based) the proxy sees.
    pub fn schedule(&self, ordinal: u64, fault: Fault) {
        self.lock().schedule.push((ordinal, fault));
    }

    pub fn counts(&self) -> FaultCounts {
        self.lock().counts
    }

    /// The transactions the scheduled faults met (wire bytes, in order).
    pub fn faulted(&self) -> Vec<Vec<u8>> {
        self.lock().faulted.clone()
    }

    /// Every request's method so far, in the order they arrived (`sendTransaction <signature>` for a broadcast).
    pub fn methods(&self) -> Vec<String> {
        self.lock().methods.clone()
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        lock(&self.state)
    }
}

fn lock(state: &Mutex<State>) -> MutexGuard<'_, State> {
    state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// One request: read it, apply what is due, answer, close.
fn serve(mut client: TcpStream, upstream: &str, state: &Mutex<State>) -> std::io::Result<()> {
    let body = read_request(&mut client)?;
    let request: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
    let method = request["method"].as_str().unwrap_or_default().to_string();
    let mut after = None;
    let (mut drop_it, mut lose_answer) = (false, false);
    {
        let mut state = lock(state);
        // A transaction's broadcast is logged with its signature (a re-broadcast shows as the same one again).
        let entry =
            if method == "sendTransaction" { format!("{method} {}", signature_of(&request)) } else { method.clone() };
        state.methods.push(entry);
        if method == "sendTransaction" {
            state.counts.sends += 1;
            let ordinal = state.counts.sends;
            let due: Vec<Fault> = take_due(&mut state.schedule, ordinal);
            if !due.is_empty() {
                state.faulted.push(transaction_of(&request));
            }
            for fault in due {
                match fault {
                    Fault::Refuse { count } => state.refusing += count,
                    Fault::DropOnce => drop_it = true,
                    Fault::Drop => {
                        drop_it = true;
                        state.blackholed.push(signature_of(&request));
                    }
                    Fault::LoseAnswer => lose_answer = true,
                    Fault::ExpiredBlockhash => state.expire_next_blockhash = true,
                    Fault::Before(mut action) => {
                        state.counts.actions += 1;
                        action();
                    }
                    Fault::After(action) => after = Some(action),
                }
            }
        }
        if method == "sendTransaction" && state.blackholed.contains(&signature_of(&request)) {
            drop_it = true;
        }
        if state.refusing > 0 {
            state.refusing -= 1;
            state.counts.refused += 1;
            return respond(&mut client, "503 Service Unavailable", b"");
        }
        if drop_it {
            state.counts.dropped += 1;
            let answer = serde_json::json!({"jsonrpc": "2.0", "result": signature_of(&request), "id": request["id"]});
            return respond(&mut client, "200 OK", answer.to_string().as_bytes());
        }
    }
    let Ok(answer) = forward(upstream, &body) else {
        let mut state = lock(state);
        state.counts.unreachable += 1;
        state.counts.unreachable_polls += u32::from(method == "getSignatureStatuses");
        return respond(&mut client, "502 Bad Gateway", b"");
    };
    if let Some(mut action) = after {
        lock(state).counts.actions += 1;
        action();
    }
    if lose_answer {
        lock(state).counts.answers_lost += 1;
        return respond(&mut client, "502 Bad Gateway", b"");
    }
    let answer = rewrite(&method, answer, state);
    respond(&mut client, "200 OK", &answer)
}

fn take_due(schedule: &mut Vec<(u64, Fault)>, ordinal: u64) -> Vec<Fault> {
    let (due, rest): (Vec<_>, Vec<_>) = std::mem::take(schedule).into_iter().partition(|(at, _)| *at == ordinal);
    *schedule = rest;
    due.into_iter().map(|(_, fault)| fault).collect()
}

/// Serves the old blockhash when an expired one is due, and counts the node's refusals of expired blockhashes.
fn rewrite(method: &str, answer: Vec<u8>, state: &Mutex<State>) -> Vec<u8> {
    let mut state = lock(state);
    if method == "sendTransaction" && String::from_utf8_lossy(&answer).contains("Blockhash not found") {
        state.counts.expired_refusals += 1;
    }
    if method != "getLatestBlockhash" || !state.expire_next_blockhash {
        return answer;
    }
    let (Ok(mut value), Some(old)) =
        (serde_json::from_slice::<serde_json::Value>(&answer), state.old_blockhash.clone())
    else {
        return answer;
    };
    value["result"]["value"]["blockhash"] = serde_json::Value::String(old);
    state.expire_next_blockhash = false;
    state.counts.expired_blockhashes_served += 1;
    value.to_string().into_bytes()
}

/// The wire bytes of the transaction a `sendTransaction` carries (base64, the client's encoding).
fn transaction_of(request: &serde_json::Value) -> Vec<u8> {
    let encoded = request["params"][0].as_str().unwrap_or_default();
    base64::engine::general_purpose::STANDARD.decode(encoded).unwrap_or_default()
}

/// The base58 signature of the transaction a `sendTransaction` carries.
fn signature_of(request: &serde_json::Value) -> String {
    let bytes = transaction_of(request);
    // A compact-u16 count of signatures (one byte below 128), then the signatures.
    bytes.get(1..65).map(|signature| bs58::encode(signature).into_string()).unwrap_or_default()
}

/// The request's body (headers read up to the blank line, then Content-Length bytes).
fn read_request(stream: &mut TcpStream) -> std::io::Result<Vec<u8>> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut length = 0usize;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 || line == "\r\n" {
            break;
        }
        if let Some((name, value)) = line.split_once(':') {
            if name.eq_ignore_ascii_case("content-length") {
                length = value.trim().parse().unwrap_or(0);
            }
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body)?;
    Ok(body)
}

/// Posts `body` to the node and returns its answer's body.
fn forward(upstream: &str, body: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut node = TcpStream::connect(upstream)?;
    let head = format!(
        "POST / HTTP/1.1\r\nHost: {upstream}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\
         Connection: close\r\n\r\n",
        body.len()
    );
    node.write_all(head.as_bytes())?;
    node.write_all(body)?;
    let mut answer = Vec::new();
    node.read_to_end(&mut answer)?;
    let split = answer.windows(4).position(|w| w == b"\r\n\r\n").ok_or(std::io::ErrorKind::InvalidData)?;
    let head = String::from_utf8_lossy(&answer[..split]).to_ascii_lowercase();
    let body = answer[split + 4..].to_vec();
    if head.contains("transfer-encoding: chunked") {
        return Ok(unchunk(&body));
    }
    Ok(body)
}

fn unchunk(mut chunked: &[u8]) -> Vec<u8> {
    let mut body = Vec::new();
    while let Some(end) = chunked.windows(2).position(|w| w == b"\r\n") {
        let size = usize::from_str_radix(String::from_utf8_lossy(&chunked[..end]).trim(), 16).unwrap_or(0);
        if size == 0 {
            break;
        }
        let start = end + 2;
        body.extend_from_slice(chunked.get(start..start + size).unwrap_or_default());
        chunked = chunked.get(start + size + 2..).unwrap_or_default();
    }
    body
}

fn respond(client: &mut TcpStream, status: &str, body: &[u8]) -> std::io::Result<()> {
    let head = format!(
        "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    client.write_all(head.as_bytes())?;
    client.write_all(body)?;
    client.flush()
}

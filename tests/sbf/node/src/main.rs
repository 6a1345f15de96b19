//! `backstop-rpc-node`: a local Solana node for Backstop's RPC suite, serving the standard JSON-RPC API on
//! `--rpc-port` and pubsub on `--ws-port` (127.0.0.1), with surfpool's `surfnet_*` methods to write accounts, deploy
//! a program and move the clock. It is surfpool's own engine (LiteSVM on agave 4.3, the SPL programs preloaded)
//! embedded offline: nothing leaves the machine.
//!
//! It prints `ready <rpc-url> <ws-url>` once both servers are bound, then reads commands on stdin, one a line:
//! - `restart <ms>`: stops both servers (clients see refused connections), waits `<ms>` milliseconds and starts them
//!   again on the same ports with the same chain, as a validator restarting from its ledger looks to a client;
//!   prints `ready ...` again.
//! - `clock <unix-ts>`: sets the Clock's `unix_timestamp` (either way; the slot keeps counting up), as the
//!   in-process bank's test clock is set, so one path can be replayed on both; prints `clock <unix-ts>`.
//! - `stop`, or the end of stdin (the suite that spawned it went away): stops and exits.
//!
//! The clock moves only when the suite moves it. Blocks are produced per transaction (and one more to finalize it,
//! under Alpenglow's one-slot finality), 1 ms of chain time each, so a suite that travels to whole seconds sees the
//! Clock's `unix_timestamp` hold still for the next ~500 transactions, and can compare a run with the in-process
//! bank's to the atom.

use solana_clock::Clock;
use std::io::{BufRead, Write};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};
use surfpool_core::runloops::start_local_surfnet_runloop;
use surfpool_core::surfnet::locker::SurfnetSvmLocker;
use surfpool_core::surfnet::svm::{SurfnetSvm, SurfnetSvmConfig};
use surfpool_types::channel::{self, Receiver, RecvTimeoutError, Sender};
use surfpool_types::{
    BlockProductionMode, RpcConfig, SimnetCommand, SimnetConfig, SimnetEvent, SurfpoolConfig, SvmFeatureConfig,
};

/// Chain time per block, milliseconds.
const SLOT_TIME_MS: u64 = 1;
/// The runloop's clock thread ticks at this interval; in transaction mode a tick produces nothing, so it only needs
/// to be slow.
const CLOCK_TICK_MS: u64 = 1_000;
const READY_TIMEOUT: Duration = Duration::from_secs(120);
const SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(10);

struct Ports {
    rpc: u16,
    ws: u16,
}

/// One running pair of servers over the chain `locker` holds.
struct Running {
    commands: Sender<SimnetCommand>,
    runloop: JoinHandle<()>,
}

fn main() {
    if let Err(error) = run() {
        eprintln!("backstop-rpc-node: {error}");
        std::process::exit(1);
    }
}

fn run() -> Result<(), String> {
    let ports = ports_from_args()?;
    let (svm, raw_events, geyser) = SurfnetSvm::new(SurfnetSvmConfig {
        slot_time: SLOT_TIME_MS,
        // One-slot finality: a transaction is final one block after it lands, so the clock moves 2 ms per
        // transaction rather than the 31 blocks TowerBFT's depth would take.
        feature_config: SvmFeatureConfig::new().enable(agave_feature_set::alpenglow::id()),
        ..SurfnetSvmConfig::default()
    })
    .map_err(|e| format!("the SVM did not start: {e}"))?;
    let locker = SurfnetSvmLocker::new(svm);
    let events = forward_events(raw_events);
    let mut running = start(&locker, &ports, &events, geyser)?;
    announce(&ports)?;
    for line in std::io::stdin().lock().lines() {
        let line = line.map_err(|e| format!("stdin: {e}"))?;
        let mut words = line.split_whitespace();
        match (words.next(), words.next()) {
            (Some("restart"), pause) => {
                let pause = pause.unwrap_or("0").parse::<u64>().map_err(|e| format!("restart <ms>: {e}"))?;
                stop(running, &events)?;
                thread::sleep(Duration::from_millis(pause));
                // The first runloop took the geyser channel; nothing listens for geyser events here.
                running = start(&locker, &ports, &events, channel::bounded(1).1)?;
                announce(&ports)?;
            }
            (Some("clock"), Some(unix_ts)) => {
                let unix_ts = unix_ts.parse::<i64>().map_err(|e| format!("clock <unix-ts>: {e}"))?;
                set_clock(&locker, &running, unix_ts)?;
                println!("clock {unix_ts}");
            }
            (Some("stop"), _) => break,
            (None, _) => {}
            (Some(other), _) => {
                eprintln!("backstop-rpc-node: unknown command {other:?} (restart <ms> | clock <unix-ts> | stop)")
            }
        }
    }
    stop(running, &events)
}

fn ports_from_args() -> Result<Ports, String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let value = |flag: &str| -> Result<u16, String> {
        let at = args.iter().position(|a| a == flag).ok_or_else(|| "usage: --rpc-port N --ws-port M".to_string())?;
        let raw = args.get(at + 1).ok_or_else(|| format!("{flag} needs a port"))?;
        raw.parse().map_err(|e| format!("{flag} {raw}: {e}"))
    };
    Ok(Ports { rpc: value("--rpc-port")?, ws: value("--ws-port")? })
}

fn announce(ports: &Ports) -> Result<(), String> {
    let mut out = std::io::stdout().lock();
    writeln!(out, "ready http://127.0.0.1:{} ws://127.0.0.1:{}", ports.rpc, ports.ws)
        .and_then(|_| out.flush())
        .map_err(|e| format!("stdout: {e}"))
}

/// The SVM's event channel is bounded and a full one blocks lifecycle events (a shutdown would hang): drain it
/// forever into an unbounded one, reporting errors on stderr.
fn forward_events(raw: Receiver<SimnetEvent>) -> Receiver<SimnetEvent> {
    let (sender, events) = channel::unbounded();
    thread::spawn(move || {
        for event in raw.iter() {
            match &event {
                SimnetEvent::ErrorLog(_, message) => eprintln!("surfnet error: {message}"),
                SimnetEvent::Aborted(message) => eprintln!("surfnet aborted: {message}"),
                _ => {}
            }
            let lifecycle =
                matches!(event, SimnetEvent::CoreStarted(_) | SimnetEvent::Aborted(_) | SimnetEvent::Shutdown);
            if lifecycle && sender.send(event).is_err() {
                break;
            }
        }
    });
    events
}

/// Starts the runloop and both servers over `locker`'s chain; returns once the node is ready.
fn start(
    locker: &SurfnetSvmLocker,
    ports: &Ports,
    events: &Receiver<SimnetEvent>,
    geyser: Receiver<surfpool_core::surfnet::GeyserEvent>,
) -> Result<Running, String> {
    let config = SurfpoolConfig {
        simnets: vec![SimnetConfig {
            offline_mode: true,
            remote_rpc_url: None,
            slot_time: CLOCK_TICK_MS,
            block_production_mode: BlockProductionMode::Transaction,
            ..SimnetConfig::default()
        }],
        rpc: RpcConfig {
            bind_host: "127.0.0.1".into(),
            bind_port: ports.rpc,
            ws_port: ports.ws,
            ..RpcConfig::default()
        },
        ..SurfpoolConfig::default()
    };
    let (commands, commands_rx) = channel::unbounded();
    let (locker_for_loop, commands_for_loop) = (locker.clone(), commands.clone());
    let runloop = thread::Builder::new()
        .name("surfnet".into())
        .spawn(move || {
            let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
                Ok(runtime) => runtime,
                Err(e) => return eprintln!("surfnet: no runtime: {e}"),
            };
            let runloop = start_local_surfnet_runloop(locker_for_loop, config, commands_for_loop, commands_rx, geyser);
            if let Err(e) = runtime.block_on(runloop) {
                eprintln!("surfnet runloop: {e}");
            }
        })
        .map_err(|e| format!("no runloop thread: {e}"))?;
    let deadline = Instant::now() + READY_TIMEOUT;
    loop {
        if runloop.is_finished() {
            return Err("the runloop ended before the node was ready (see stderr)".into());
        }
        match events.recv_timeout(Duration::from_millis(100)) {
            Ok(SimnetEvent::CoreStarted(_)) => return Ok(Running { commands, runloop }),
            Ok(SimnetEvent::Aborted(message)) => return Err(format!("the node aborted: {message}")),
            Ok(_) | Err(RecvTimeoutError::Timeout) if Instant::now() < deadline => {}
            Ok(_) | Err(RecvTimeoutError::Timeout) => return Err("the node was not ready in time".into()),
            Err(RecvTimeoutError::Disconnected) => return Err("the node's events stopped".into()),
        }
    }
}

/// Moves the Clock to `unix_ts` through the runloop (which seals the open block first) and waits for it.
fn set_clock(locker: &SurfnetSvmLocker, running: &Running, unix_ts: i64) -> Result<(), String> {
    let mut clock = locker.with_svm_reader(|svm| svm.inner.get_sysvar::<Clock>());
    clock.unix_timestamp = unix_ts;
    let (reply, replied) = channel::bounded(1);
    running
        .commands
        .send(SimnetCommand::UpdateInternalClockWithConfirmation(None, clock, reply))
        .map_err(|_| "the runloop is gone".to_string())?;
    match replied.recv_timeout(SHUTDOWN_TIMEOUT) {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(message)) => Err(format!("the clock did not move: {message}")),
        Err(_) => Err("the runloop did not answer the clock".into()),
    }
}

/// Stops the runloop and waits until both servers have released their ports.
fn stop(running: Running, events: &Receiver<SimnetEvent>) -> Result<(), String> {
    let _ = running.commands.send(SimnetCommand::Terminate(None));
    let deadline = Instant::now() + SHUTDOWN_TIMEOUT;
    let mut shutdowns = 0;
    while shutdowns < 2 && Instant::now() < deadline {
        if let Ok(SimnetEvent::Shutdown) = events.recv_timeout(Duration::from_millis(100)) {
            shutdowns += 1;
        }
    }
    running.runloop.join().map_err(|_| "the runloop panicked".to_string())?;
    if shutdowns < 2 {
        return Err("the servers did not confirm their shutdown".into());
    }
    Ok(())
}

//! `backstop`: Backstop's command-line entry point. For now one command, `demo`, which runs the real program in
//! an in-process bank through a short scripted market and prints every balance.

mod demo;

fn main() {
    // The in-process bank logs every instruction at debug level; the demo prints its own account of events.
    if std::env::var_os("RUST_LOG").is_none() {
        std::env::set_var("RUST_LOG", "error");
    }
    let command = std::env::args().nth(1).unwrap_or_else(|| "demo".to_string());
    match command.as_str() {
        "demo" => {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build();
            match runtime {
                Ok(runtime) => runtime.block_on(demo::run()),
                Err(error) => {
                    eprintln!("cannot start the runtime: {error}");
                    std::process::exit(1);
                }
            }
        }
        other => {
            eprintln!("unknown command `{other}`; usage: backstop demo");
            std::process::exit(2);
        }
    }
}

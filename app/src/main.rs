//! `backstop`: the operator's command line. `keeper` keeps a market safe on any cluster; the other commands are a
//! trader's, LP's, staker's, keeper's and governance's client, one file per group under `commands/`.

use backstop_app::commands::{self, Command, Session};
use backstop_app::config::Connection;
use backstop_app::output::{render_error, Format};
use clap::{CommandFactory, Parser};

#[derive(Parser)]
#[command(
    name = "backstop",
    version,
    about = "Backstop: perpetuals with an insurance fund that backs every bankruptcy",
    after_help = "Exit codes: 0 success, 2 bad input, 3 cluster unreachable, 4 refused by Backstop (its error by \
                  name), 5 transaction failed otherwise, 6 account missing or not what it should be, 7 sent but not \
                  confirmed (check the signature before sending again)."
)]
struct Cli {
    #[command(flatten)]
    connection: Connection,
    /// How results are printed: for a person, or one JSON object.
    #[arg(long, value_enum, default_value_t = Format::Human, global = true, env = "BACKSTOP_OUTPUT")]
    output: Format,
    /// Log lines (stderr) as text or JSON; the level comes from RUST_LOG (default: info).
    #[arg(long, value_enum, default_value_t = LogFormat::Text, global = true, env = "BACKSTOP_LOG_FORMAT")]
    log_format: LogFormat,
    /// A settings file of `BACKSTOP_...=value` lines (the environment's names; the environment wins over it, and a
    /// flag over both): a long-running keeper's configuration.
    #[arg(long, global = true, env = "BACKSTOP_ENV_FILE")]
    env_file: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum LogFormat {
    Text,
    Json,
}

fn init_logs(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    match format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder.json().init(),
    }
}

/// Every environment variable `command` and its subcommands read.
fn variables(command: &clap::Command) -> Vec<String> {
    let own = command.get_arguments().filter_map(|arg| arg.get_env()).map(|name| name.to_string_lossy().into_owned());
    own.chain(command.get_subcommands().flat_map(variables)).collect()
}

fn main() {
    // The settings file fills the environment before the command line is read, so its values meet the flags' own
    // parsers and precedence.
    let args: Vec<String> = std::env::args().collect();
    if let Some(path) = backstop_app::settings::named(&args) {
        if let Err(error) = backstop_app::settings::load(&path, &variables(&Cli::command())) {
            eprintln!("{}", render_error(&error, Format::Human));
            std::process::exit(error.exit_code());
        }
    }
    let cli = Cli::parse();
    init_logs(cli.log_format);
    if let Some(report) = commands::offline(&cli.command) {
        print!("{}", report.render(cli.output, ""));
        return;
    }
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("cannot start the runtime: {error}");
            std::process::exit(1);
        }
    };
    let connection = match cli.connection.resolve() {
        Ok(connection) => connection,
        Err(error) => {
            eprintln!("{}", render_error(&error, cli.output));
            std::process::exit(error.exit_code());
        }
    };
    let url = connection.url.clone();
    let outcome = Session::open(connection).and_then(|mut session| {
        let result = runtime.block_on(commands::run(cli.command, &mut session));
        // On failure only what landed is worth printing (its signatures), never a half-done command's fields.
        if result.is_ok() || session.report.has_signatures() {
            print!("{}", session.report.render(cli.output, &url));
        }
        result
    });
    if let Err(error) = outcome {
        eprintln!("{}", render_error(&error, cli.output));
        std::process::exit(error.exit_code());
    }
}

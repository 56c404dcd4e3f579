//! Thin entry point: parse the CLI, load config, init tracing, hand over to the library.

use std::process::ExitCode;

use amarktai::cli::{self, Cli, Command};
use amarktai::config::Config;
use clap::Parser;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let command = cli.command.unwrap_or(Command::Serve);
    if matches!(command, Command::Doctor) {
        return cli::doctor().await;
    }
    let config = match Config::from_env() {
        Ok(config) => config,
        Err(e) => {
            eprintln!("configuration error: {e}");
            return ExitCode::from(2);
        }
    };
    cli::init_tracing(&config, matches!(command, Command::Serve));
    let result = match command {
        Command::Migrate => cli::migrate(&config).await,
        Command::CreateAdmin { email, first_name } => {
            cli::create_admin(&config, &email, &first_name).await
        }
        Command::RotateKeys { old_key_id } => {
            cli::rotate_keys(&config, &old_key_id).await.map(|_| ())
        }
        Command::Data { command } => cli::data::run(&config, command).await,
        Command::Backtest(args) => cli::backtest::run(&config, *args).await,
        Command::Serve | Command::Doctor => amarktai::run(config).await,
    };
    if let Err(e) = &result {
        tracing::error!("{e:#}");
    }
    // Log lines still queued for the writer thread reach stdout before the process ends.
    amarktai::log_writer::flush(std::time::Duration::from_secs(2));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

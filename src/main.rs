use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = tresen::cli::Cli::parse();
    match tresen::cli::run(cli) {
        Ok(code) => code,
        Err(e) => {
            tresen::tui::terminal::restore_if_entered();
            eprintln!("tresen: {e:#}");
            ExitCode::from(tresen::error::exit_code(&e))
        }
    }
}

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = tresen::cli::Cli::parse();
    match tresen::cli::run(cli) {
        Ok(code) => code,
        // The reader of our output went away (`tresen list | head`): nothing to say.
        Err(e) if tresen::out::is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            tresen::tui::terminal::restore_if_entered();
            eprintln!("tresen: {e:#}");
            ExitCode::from(tresen::error::exit_code(&e))
        }
    }
}

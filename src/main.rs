use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    // Everything tresen and what it starts (matrix-sdk's stores, the log, signal-cli's
    // keys, a hook's files) write is the owner's alone: business letters and keys.
    rustix::process::umask(rustix::fs::Mode::from_raw_mode(0o077));
    let cli = tresen::cli::Cli::parse();
    match tresen::cli::run(cli) {
        Ok(code) => code,
        // The reader of our output went away (`tresen list | head`): nothing to say.
        Err(e) if tresen::out::is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            tresen::tui::terminal::restore_if_entered();
            // The sentences tresen writes in English below this edge, in the locale's
            // language (a configuration error comes before any configured language).
            let lang = tresen::app::i18n::Lang::from_locale_env();
            let causes = e.chain().map(|cause| cause.to_string());
            eprintln!(
                "tresen: {}",
                tresen::app::reasons::causes_in_lang(causes, lang)
            );
            ExitCode::from(tresen::error::exit_code(&e))
        }
    }
}

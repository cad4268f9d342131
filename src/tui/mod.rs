//! The terminal runtime: the only place that awaits terminal input and draws.
//!
//! [`run`] takes the input stream and the ratatui backend as parameters, so tests drive
//! the real loop with a key macro and a `TestBackend` (as helix does).

pub mod keys;
mod loads;
pub mod terminal;

use std::collections::VecDeque;
use std::io;
use std::time::Duration;

use crossterm::event::Event;
use futures::{Stream, StreamExt};
use ratatui::Terminal;
use ratatui::backend::Backend;
use tokio::sync::broadcast::error::RecvError;

use crate::app::{App, Command, Effect, Loaded, Msg, Query};
use crate::domain::Timestamp;
use crate::engine::{EngineCommand, EngineHandle};

#[derive(Debug, thiserror::Error)]
pub enum TuiError {
    #[error("terminal error: {0}")]
    Terminal(String),
}

/// How `$EDITOR` is run. The real one suspends the terminal; tests pass a closure.
pub type EditorFn<'a> = dyn FnMut(&str) -> Result<String, String> + 'a;

pub struct RunOptions<'a> {
    pub tick: Duration,
    pub editor: Box<EditorFn<'a>>,
    /// Clock for the UI; tests pin it.
    pub clock: Box<dyn Fn() -> Timestamp + 'a>,
    /// Where saved attachments go (the downloads folder; tests use a temp dir).
    pub downloads: std::path::PathBuf,
    /// Shows a file to the user (xdg-open); tests record instead.
    pub opener: fn(&std::path::Path) -> Result<(), String>,
}

/// Results of background work (downloads), fed back into the loop as messages.
type Results = tokio::sync::mpsc::UnboundedSender<Msg>;

fn draw<B: Backend>(terminal: &mut Terminal<B>, app: &App) -> Result<(), TuiError> {
    terminal
        .draw(|f| crate::ui::render(f, app))
        .map(|_| ())
        .map_err(|e| TuiError::Terminal(e.to_string()))
}

/// Runs until the user quits or `input` ends.
pub async fn run<B, S>(
    terminal: &mut Terminal<B>,
    app: &mut App,
    engine: &EngineHandle,
    mut input: S,
    mut opts: RunOptions<'_>,
) -> Result<(), TuiError>
where
    B: Backend,
    S: Stream<Item = io::Result<Event>> + Unpin,
{
    let mut bus = engine.subscribe();
    let (results, mut finished) = tokio::sync::mpsc::unbounded_channel();
    let (mut loads, mut answers) = loads::Loads::new(engine, app.lang());
    if let Ok(size) = terminal.size() {
        app.update(Msg::Resize {
            width: size.width,
            height: size.height,
        });
    }
    // The first keys act on the inbox, so they wait for it.
    let mut queue: VecDeque<Effect> = app.init().into();
    let mut rt = Runtime {
        engine,
        opts: &mut opts,
        results: &results,
        loads: &mut loads,
    };
    if rt.process(app, &mut queue, terminal, true)? {
        return Ok(());
    }
    draw(terminal, app)?;
    let mut tick = tokio::time::interval(rt.opts.tick);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut input_ended = false;
    loop {
        let holding_keys = rt.loads.waited_for();
        // Whether the user waits for what this message brings about.
        let mut waited_for = false;
        let msg = tokio::select! {
            ev = input.next(), if !holding_keys && !input_ended => {
                waited_for = true;
                match ev {
                    None => {
                        // Answers still under way belong to the keys already typed.
                        input_ended = true;
                        if rt.loads.idle() {
                            break;
                        }
                        continue;
                    }
                    Some(Err(e)) => return Err(TuiError::Terminal(e.to_string())),
                    Some(Ok(Event::Key(k))) => Msg::Key(k),
                    Some(Ok(Event::Mouse(m))) => Msg::Mouse(m),
                    Some(Ok(Event::Resize(width, height))) => Msg::Resize { width, height },
                    Some(Ok(Event::Paste(text))) => Msg::Pasted(text),
                    Some(Ok(_)) => continue,
                }
            },
            Some(answer) = answers.recv() => {
                let (loaded, waited) = rt.loads.finished(answer);
                waited_for = waited;
                Msg::Loaded(loaded)
            },
            n = bus.recv() => match n {
                Ok(n) => Msg::Notified(n),
                Err(RecvError::Lagged(_)) => Msg::Lagged,
                Err(RecvError::Closed) => break,
            },
            Some(m) = finished.recv() => m,
            _ = tick.tick() => Msg::Tick((rt.opts.clock)()),
        };
        queue.extend(app.update(msg));
        if rt.process(app, &mut queue, terminal, waited_for)? {
            break;
        }
        // Coalesce a burst of notifications into one round of reloads.
        loop {
            match bus.try_recv() {
                Ok(n) => queue.extend(app.update(Msg::Notified(n))),
                Err(tokio::sync::broadcast::error::TryRecvError::Lagged(_)) => {
                    queue.extend(app.update(Msg::Lagged))
                }
                Err(_) => break,
            }
        }
        if rt.process(app, &mut queue, terminal, false)? {
            break;
        }
        draw(terminal, app)?;
        if input_ended && rt.loads.idle() {
            break;
        }
    }
    Ok(())
}

/// What carrying out effects needs besides the app.
struct Runtime<'r, 'o> {
    engine: &'r EngineHandle,
    opts: &'r mut RunOptions<'o>,
    results: &'r Results,
    loads: &'r mut loads::Loads,
}

impl Runtime<'_, '_> {
    /// Carries out effects until none are left; loads start as jobs (`waited_for`: keys
    /// wait for their answers). Returns true when the app wants to quit.
    fn process<B: Backend>(
        &mut self,
        app: &mut App,
        queue: &mut VecDeque<Effect>,
        terminal: &mut Terminal<B>,
        waited_for: bool,
    ) -> Result<bool, TuiError> {
        let engine = self.engine;
        let opts = &mut *self.opts;
        let results = self.results;
        while let Some(effect) = queue.pop_front() {
            match effect {
                Effect::Quit => return Ok(true),
                Effect::Load(q) => self.loads.start(q, waited_for),
                Effect::Command(c) => {
                    let cmd = match c {
                        Command::Send {
                            conversation,
                            body,
                            files,
                            reply_to,
                            retry,
                        } => {
                            let mut read = Vec::new();
                            for f in &files {
                                let path = crate::attachment_io::expand_home(f);
                                match crate::engine::NewFile::read(&path) {
                                    Ok(file) => read.push(file),
                                    Err(e) => {
                                        // Nothing is sent; the text and the files stay.
                                        queue.extend(app.update(Msg::NotSent {
                                            body: body.clone(),
                                            files: files.clone(),
                                            reason: format!("{}: {e}", path.display()),
                                        }));
                                        read.clear();
                                        break;
                                    }
                                }
                            }
                            if read.len() != files.len() {
                                continue;
                            }
                            EngineCommand::Send {
                                conversation,
                                body,
                                files: read,
                                sender: app.cfg.staff_name.clone(),
                                reply_to,
                                options: crate::engine::SendOptions {
                                    retry,
                                    ..Default::default()
                                },
                                reply: None,
                            }
                        }
                        Command::Local(op) => EngineCommand::Local(op),
                        Command::Viewed(id) => EngineCommand::Viewed(id),
                        Command::AcceptInvite { account, remote_id } => {
                            EngineCommand::AcceptInvite { account, remote_id }
                        }
                        Command::Link { account } => EngineCommand::Link { account },
                        Command::React { message, key } => EngineCommand::React { message, key },
                        Command::Backfill { conversation } => {
                            EngineCommand::Backfill { conversation }
                        }
                        Command::Typing {
                            conversation,
                            typing,
                        } => EngineCommand::Typing {
                            conversation,
                            typing,
                        },
                    };
                    if let Err(e) = engine.try_command(cmd) {
                        queue.extend(app.update(Msg::Refused(e.to_string())));
                    }
                }
                Effect::Attachment {
                    message,
                    index,
                    open,
                } => {
                    let engine = engine.clone();
                    let results = results.clone();
                    let downloads = opts.downloads.clone();
                    let opener = opts.opener;
                    let lang = app.lang();
                    tokio::spawn(async move {
                        let r =
                            deliver_attachment(&engine, message, index, open, &downloads, opener)
                                .await;
                        let msg = match r {
                            Ok(path) if open => Loaded::Done(format!(
                                "{} {}",
                                lang.t("Geöffnet:", "Opened:"),
                                path.display()
                            )),
                            Ok(path) => Loaded::Done(format!(
                                "{} {}",
                                lang.t("Gespeichert:", "Saved:"),
                                path.display()
                            )),
                            Err(e) => Loaded::Failed(e),
                        };
                        let _ = results.send(Msg::Loaded(msg));
                    });
                }
                Effect::OpenEditor { initial } => {
                    let result = (opts.editor)(&initial);
                    terminal
                        .clear()
                        .map_err(|e| TuiError::Terminal(e.to_string()))?;
                    queue.extend(app.update(Msg::EditorClosed(result)));
                }
            }
        }
        Ok(false)
    }
}

/// Fetches an attachment through the engine, then saves it or hands it to the viewer.
async fn deliver_attachment(
    engine: &EngineHandle,
    message: crate::domain::MessageId,
    index: usize,
    open: bool,
    downloads: &std::path::Path,
    opener: fn(&std::path::Path) -> Result<(), String>,
) -> Result<std::path::PathBuf, String> {
    let blob = engine
        .fetch(message, index)
        .await
        .map_err(|e| e.to_string())?;
    let name = engine
        .store()
        .read(|s| s.message(message))
        .ok()
        .flatten()
        .and_then(|m| m.attachments.get(index).map(|a| a.name.clone()))
        .unwrap_or_default();
    let blobs = engine
        .store()
        .blobs()
        .ok_or("this profile has no attachment store")?;
    let bytes = blobs.get(&blob).map_err(|e| e.to_string())?;
    // Disk writes off the async workers.
    let downloads = downloads.to_path_buf();
    let path = tokio::task::spawn_blocking(move || {
        if open {
            crate::attachment_io::open_copy(&name, &bytes)
        } else {
            crate::attachment_io::save_new(&downloads, &name, &bytes)
        }
    })
    .await
    .map_err(|e| e.to_string())?
    .map_err(|e| e.to_string())?;
    if open {
        opener(&path)?;
    }
    Ok(path)
}

/// Answers a query from the store. Errors become a flash message, never a crash.
pub fn load(engine: &EngineHandle, q: Query) -> Loaded {
    engine.store().read(|store| {
        let result = match q {
            Query::Health => Ok(Loaded::Health(engine.health())),
            Query::ArchiveProblem => Ok(Loaded::ArchiveProblem(engine.archive_problem())),
            Query::Typing => Ok(Loaded::Typing(engine.typing())),
            Query::Outlook(id) => engine.outlook(store, id).map(|o| Loaded::Outlook(id, o)),
            Query::Links => Ok(Loaded::Links(engine.links())),
            Query::Invites => Ok(Loaded::Invites(
                engine
                    .invites()
                    .into_iter()
                    .flat_map(|(a, list)| list.into_iter().map(move |i| (a.clone(), i)))
                    .collect(),
            )),
            Query::Inbox => store.conversations().map(Loaded::Inbox),
            Query::Search { query, limit } => store
                .search(&query, limit)
                .map(|hits| Loaded::Search { query, hits }),
            Query::Conversation {
                id,
                before,
                limit,
                focus,
            } => {
                let mut limit = limit.max(1);
                loop {
                    match store.messages(id, before, limit) {
                        Ok(messages) => {
                            let found = focus.is_none_or(|f| messages.iter().any(|m| m.id == f));
                            // Widen the window until a search hit is inside it.
                            if found || messages.len() < limit || limit >= 100_000 {
                                break Ok(Loaded::Conversation {
                                    id,
                                    messages,
                                    older: before.is_some(),
                                    limit,
                                    focus,
                                });
                            }
                            limit *= 4;
                        }
                        Err(e) => break Err(e),
                    }
                }
            }
        };
        result.unwrap_or_else(|e| Loaded::Failed(e.to_string()))
    })
}

//! The terminal runtime: the only place that awaits terminal input and draws.
//!
//! [`run`] takes the input stream and the ratatui backend as parameters, so tests drive
//! the real loop with a key macro and a `TestBackend` (as helix does).

pub mod desktop;
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
use crate::protocol::{Order, WireFile};
use crate::seat::Seat;

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
    /// Desktop notifications (D-Bus or the terminal's sequence).
    pub notifier: desktop::Notifier,
    /// Links as OSC 8 hyperlinks (a real terminal that takes them; tests read plain cells).
    pub hyperlinks: bool,
    /// How photos are drawn (the terminal's graphics protocol, or half blocks); `None`:
    /// no previews.
    pub picker: Option<ratatui_image::picker::Picker>,
}

/// Results of background work (downloads), fed back into the loop as messages.
type Results = tokio::sync::mpsc::UnboundedSender<Msg>;

fn draw<B: Backend>(
    terminal: &mut Terminal<B>,
    app: &App,
    hyperlinks: bool,
) -> Result<(), TuiError> {
    terminal
        .draw(|f| {
            crate::ui::render(f, app);
            if hyperlinks {
                crate::ui::hyperlink::mark(f.buffer_mut());
            }
        })
        .map(|_| ())
        .map_err(|e| TuiError::Terminal(e.to_string()))
}

/// Runs until the user quits or `input` ends.
pub async fn run<B, S, E>(
    terminal: &mut Terminal<B>,
    app: &mut App,
    engine: &E,
    mut input: S,
    mut opts: RunOptions<'_>,
) -> Result<(), TuiError>
where
    B: Backend,
    S: Stream<Item = io::Result<Event>> + Unpin,
    E: Seat,
{
    // The reasons catalogue builds beside the first frames, not when a reason is due.
    if app.lang() == crate::app::i18n::Lang::De {
        std::thread::spawn(crate::app::reasons::warm_up);
    }
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
    draw(terminal, app, rt.opts.hyperlinks)?;
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
                    Some(Ok(Event::FocusGained)) => Msg::Focus(true),
                    Some(Ok(Event::FocusLost)) => Msg::Focus(false),
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
        draw(terminal, app, rt.opts.hyperlinks)?;
        if input_ended && rt.loads.idle() {
            break;
        }
    }
    Ok(())
}

/// What carrying out effects needs besides the app.
struct Runtime<'r, 'o, E: Seat> {
    engine: &'r E,
    opts: &'r mut RunOptions<'o>,
    results: &'r Results,
    loads: &'r mut loads::Loads<E>,
}

impl<E: Seat> Runtime<'_, '_, E> {
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
                Effect::Bell => terminal::bell(),
                Effect::Title(unread) => terminal::title(unread),
                Effect::Notify { summary, body } => opts.notifier.notify(&summary, &body),
                Effect::Load(q) => self.loads.start(q, waited_for),
                Effect::Command(c) => {
                    // What to give back to the composer if a send does not arrive.
                    let mut unsent = None;
                    // The policy version whose acceptance the app waits to hear of.
                    let mut accepting = None;
                    // An order step's outcome is said in the status line, as is a mark.
                    let mut stepping = false;
                    let mut marking = false;
                    let order = match c {
                        Command::Send {
                            conversation,
                            body,
                            files,
                            reply_to,
                            retry,
                            tags,
                            vordruck,
                        } => {
                            let mut read = Vec::new();
                            for f in &files {
                                let path = crate::attachment_io::expand_home(f);
                                match std::fs::read(&path) {
                                    Ok(data) => {
                                        let name = path
                                            .file_name()
                                            .map(|n| n.to_string_lossy().into_owned())
                                            .unwrap_or_else(|| "datei".into());
                                        read.push(WireFile {
                                            mime: crate::domain::mime_for(&name).to_string(),
                                            name,
                                            data,
                                        });
                                    }
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
                            unsent = Some((body.clone(), files));
                            Order::Send {
                                conversation,
                                body,
                                files: read,
                                reply_to,
                                options: crate::engine::SendOptions {
                                    retry,
                                    tags,
                                    vordruck,
                                    ..Default::default()
                                },
                            }
                        }
                        Command::Local(change) => Order::Local { change },
                        Command::Viewed(conversation) => Order::Viewed { conversation },
                        Command::AcceptInvite { account, remote_id } => {
                            Order::AcceptInvite { account, remote_id }
                        }
                        Command::Link { account } => Order::Link {
                            account,
                            device_name: None,
                        },
                        Command::React { message, key } => Order::React { message, key },
                        Command::Schedule {
                            conversation,
                            body,
                            due,
                        } => Order::Schedule {
                            conversation,
                            body,
                            due,
                        },
                        Command::CancelScheduled { id } => Order::CancelScheduled { id },
                        Command::CorrectContact { conversation, name } => Order::CorrectContact {
                            conversation,
                            name,
                            reason: String::new(),
                        },
                        Command::MarkSensitive { message, mark } => {
                            marking = true;
                            Order::MarkSensitive {
                                message,
                                mark,
                                reason: String::new(),
                                german: app.lang() == crate::app::i18n::Lang::De,
                            }
                        }
                        Command::OrderStep {
                            conversation,
                            change,
                        } => {
                            stepping = true;
                            Order::OrderStep {
                                conversation,
                                change,
                                german: app.lang() == crate::app::i18n::Lang::De,
                            }
                        }
                        Command::AcceptPolicy { version } => {
                            accepting = Some(version.clone());
                            Order::AcceptPolicy { version }
                        }
                        Command::Backfill { conversation } => Order::Backfill { conversation },
                        Command::Typing {
                            conversation,
                            typing,
                            network,
                        } => Order::Typing {
                            conversation,
                            typing,
                            network,
                        },
                    };
                    // Handed over now, in order; only a refusal comes back.
                    let taken = engine.order(order, &app.cfg.staff_name);
                    let results = results.clone();
                    let lang = app.lang();
                    tokio::spawn(async move {
                        let taken = taken.await;
                        if let (Ok(_), Some(version)) = (&taken, accepting) {
                            let _ = results.send(Msg::PolicyAccepted(version));
                        }
                        if let (true, Ok(crate::protocol::Done { order: Some(v), .. })) =
                            (stepping, &taken)
                        {
                            let said = crate::app::order::summary(v, lang);
                            let _ = results.send(Msg::Loaded(Loaded::Done(said)));
                        }
                        if let (
                            true,
                            Ok(crate::protocol::Done {
                                sensitive: Some(s), ..
                            }),
                        ) = (marking, &taken)
                        {
                            let said = match s.mark {
                                Some(m) => format!(
                                    "⊘ {} – {}",
                                    lang.t("eingeschränkt", "restricted"),
                                    m.describe(lang == crate::app::i18n::Lang::De)
                                ),
                                None => lang.t("Markierung aufgehoben", "Mark lifted").to_string(),
                            };
                            let _ = results.send(Msg::Loaded(Loaded::Done(said)));
                        }
                        if let Err(reason) = taken {
                            let msg = match unsent {
                                Some((body, files)) => Msg::NotSent {
                                    body,
                                    files,
                                    reason,
                                },
                                None => Msg::Refused(reason),
                            };
                            let _ = results.send(msg);
                        }
                    });
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
                        let r = deliver_attachment(
                            &engine,
                            (message, index, open),
                            &downloads,
                            opener,
                            lang,
                        )
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
                Effect::LoadPhoto {
                    message,
                    index,
                    cols,
                    rows,
                } => {
                    let results = results.clone();
                    let Some(picker) = opts.picker.clone() else {
                        let _ = results.send(Msg::PhotoReady {
                            message,
                            index,
                            photo: Err("previews are off".into()),
                        });
                        continue;
                    };
                    let fetched = engine.attachment(message, index);
                    tokio::spawn(async move {
                        let photo = match fetched.await {
                            // Decoding a stranger's file is CPU work: off the runtime.
                            Ok((_, bytes)) => tokio::task::spawn_blocking(move || {
                                crate::preview::Photo::prepare(&picker, &bytes, cols, rows)
                                    .map_err(|e| e.to_string())
                            })
                            .await
                            .unwrap_or_else(|e| Err(e.to_string())),
                            Err(e) => Err(e),
                        };
                        let _ = results.send(Msg::PhotoReady {
                            message,
                            index,
                            photo,
                        });
                    });
                }
                Effect::Copy(text) => terminal::copy(&text),
                Effect::OpenLink(url) => {
                    // Only what domain::links found: http(s) addresses. The browser
                    // starts off the drawing task.
                    let results = results.clone();
                    let lang = app.lang();
                    tokio::task::spawn_blocking(move || {
                        if let Err(e) = opener::open_browser(&url) {
                            let _ = results.send(Msg::Loaded(Loaded::Failed(format!(
                                "{} ({e}): {url}",
                                lang.t("Browser nicht zu öffnen", "cannot open the browser")
                            ))));
                        }
                    });
                }
                Effect::CompletePath(typed) => {
                    let (completed, candidates) = crate::attachment_io::complete_path(&typed);
                    queue.extend(app.update(Msg::PathCompleted {
                        typed,
                        completed,
                        candidates,
                    }));
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
async fn deliver_attachment<E: Seat>(
    engine: &E,
    (message, index, open): (crate::domain::MessageId, usize, bool),
    downloads: &std::path::Path,
    opener: fn(&std::path::Path) -> Result<(), String>,
    lang: crate::app::i18n::Lang,
) -> Result<std::path::PathBuf, String> {
    let (name, bytes) = engine.attachment(message, index).await?;
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
        opener(&path).map_err(|e| {
            crate::attachment_io::not_opened(&path, &e, lang == crate::app::i18n::Lang::De)
        })?;
    }
    Ok(path)
}

/// Answers a query from the engine's store (for benches and tests of the local seat).
pub fn load(engine: &crate::engine::EngineHandle, q: Query) -> Loaded {
    crate::seat::answer(engine, q, crate::app::SeatView::Own, 0)
}

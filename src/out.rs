//! What the command line prints: JSON that is exact and terminal-safe at once, and
//! writes to stdout that end quietly when the reader went away (`tresen list | head`).

use std::io::Write;

use serde::Serialize;

/// Writes `value` as pretty JSON in which every character a terminal would act on or
/// that reorders text (C0/C1 controls, DEL, bidi controls) is escaped as `\uXXXX`: the
/// output decodes to exactly what is stored and cannot drive the terminal.
pub fn json_to(out: &mut impl Write, value: &impl Serialize) -> std::io::Result<()> {
    let mut ser = serde_json::Serializer::with_formatter(&mut *out, SafeFormatter::default());
    // `From` keeps the kind of an I/O error (a closed pipe stays one).
    value.serialize(&mut ser).map_err(std::io::Error::from)?;
    writeln!(out)
}

/// [`json_to`] into a string.
pub fn json_string(value: &impl Serialize) -> String {
    let mut buf = Vec::new();
    // Writing into memory fails only on a serialisation bug.
    let _ = json_to(&mut buf, value);
    String::from_utf8(buf).unwrap_or_default()
}

/// Prints `value` as terminal-safe JSON on stdout.
pub fn json(value: &impl Serialize) -> std::io::Result<()> {
    json_to(&mut std::io::stdout().lock(), value)
}

#[derive(Default)]
struct SafeFormatter {
    pretty: serde_json::ser::PrettyFormatter<'static>,
}

fn escaped(c: char) -> bool {
    matches!(c, '\u{7f}'..='\u{9f}' | '\u{061c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

impl serde_json::ser::Formatter for SafeFormatter {
    fn write_string_fragment<W: ?Sized + Write>(
        &mut self,
        w: &mut W,
        fragment: &str,
    ) -> std::io::Result<()> {
        let mut start = 0;
        for (i, c) in fragment.char_indices() {
            if escaped(c) {
                w.write_all(&fragment.as_bytes()[start..i])?;
                write!(w, "\\u{:04x}", c as u32)?;
                start = i + c.len_utf8();
            }
        }
        w.write_all(&fragment.as_bytes()[start..])
    }

    fn begin_array<W: ?Sized + Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.pretty.begin_array(w)
    }
    fn end_array<W: ?Sized + Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.pretty.end_array(w)
    }
    fn begin_array_value<W: ?Sized + Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        self.pretty.begin_array_value(w, first)
    }
    fn end_array_value<W: ?Sized + Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.pretty.end_array_value(w)
    }
    fn begin_object<W: ?Sized + Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.pretty.begin_object(w)
    }
    fn end_object<W: ?Sized + Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.pretty.end_object(w)
    }
    fn begin_object_key<W: ?Sized + Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        self.pretty.begin_object_key(w, first)
    }
    fn begin_object_value<W: ?Sized + Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.pretty.begin_object_value(w)
    }
    fn end_object_value<W: ?Sized + Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.pretty.end_object_value(w)
    }
}

/// Whether an error is only the reader of our output having gone away.
pub fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

/// `println!` for the command line: a closed stdout is an error the caller passes up
/// (and the binary's edge ends quietly on), never a panic.
#[macro_export]
macro_rules! outln {
    () => {
        ::std::io::Write::write_all(&mut ::std::io::stdout().lock(), b"\n")?
    };
    ($($arg:tt)*) => {
        ::std::io::Write::write_fmt(
            &mut ::std::io::stdout().lock(),
            format_args!("{}\n", format_args!($($arg)*)),
        )?
    };
}

/// `print!` likewise.
#[macro_export]
macro_rules! out {
    ($($arg:tt)*) => {
        ::std::io::Write::write_fmt(&mut ::std::io::stdout().lock(), format_args!($($arg)*))?
    };
}

#[cfg(test)]
mod tests {
    #[test]
    fn json_is_exact_and_terminal_safe() {
        let v =
            serde_json::json!({"body": "Rechnung\u{202e}fdp.exe \u{1b}[2J \u{9b}31m ok äöü 👍"});
        let s = super::json_string(&v);
        assert!(
            s.contains("\\u202e") && s.contains("\\u001b") && s.contains("\\u009b"),
            "{s}"
        );
        assert!(!s.contains('\u{202e}') && !s.contains('\u{1b}') && !s.contains('\u{9b}'));
        assert!(s.contains("äöü 👍"), "ordinary text stays readable: {s}");
        let back: serde_json::Value = serde_json::from_str(&s).unwrap();
        assert_eq!(back, v, "decodes to exactly what was stored");
    }
}

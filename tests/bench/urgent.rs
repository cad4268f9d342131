//! Issue 17's figure for the inbound rules: CPU per customer message for deciding
//! whether it is urgent, with 50 rules (words and patterns) as an office might set them.
//! Prints figures, asserts nothing.
//!
//!     cargo bench --bench urgent

use std::hint::black_box;
use std::time::Instant;

use tresen::domain::urgent::{UrgentRule, UrgentRules};

/// 40 words and phrases, 10 patterns: a trade firm's emergencies and more. The patterns
/// use no `\b` or `\w`: Unicode word boundaries keep the regex crate off its fast
/// automaton for any message with an umlaut (docs/config.md says so; the figure for one
/// such pattern is printed below).
fn fifty_rules() -> Vec<UrgentRule> {
    let words = [
        "Notfall",
        "Wasser läuft",
        "Rohrbruch",
        "Gasgeruch",
        "riecht nach Gas",
        "Überschwemmung",
        "Heizung ausgefallen",
        "Stromausfall",
        "Kurzschluss",
        "Brand",
        "Rauch",
        "Feuer",
        "Wasserschaden",
        "undicht",
        "tropft stark",
        "läuft aus",
        "Keller unter Wasser",
        "Druckverlust",
        "Störung",
        "Totalausfall",
        "dringend",
        "sofort",
        "Eilt",
        "Lebensgefahr",
        "Kohlenmonoxid",
        "CO-Melder",
        "Rauchmelder",
        "Explosion",
        "verstopft",
        "Rückstau",
        "Frost",
        "eingefroren",
        "geplatzt",
        "kein Strom",
        "Funken",
        "verbrannt",
        "Alarm",
        "Notdienst",
        "Hilfe",
        "Havarie",
    ];
    let patterns = [
        r"kein(e)?\s+(heizung|warmwasser)",
        r"heizung\s+(geht|funktioniert)\s+nicht",
        r"wasser\s+(steht|kommt)\s+(im|aus)",
        r"gas\s*(geruch|leck)",
        r"f\.?\s?(28|29|75)(\D|$)",
        r"st(ö|oe)rung\s+\S+",
        r"(boiler|kessel|therme)\s+(leckt|tropft)",
        r"rohr\s*(bruch|geplatzt)",
        r"strom\s*(weg|ausfall)",
        r"notruf|112",
    ];
    vec![UrgentRule {
        words: words.map(String::from).to_vec(),
        patterns: patterns.map(String::from).to_vec(),
    }]
}

fn main() {
    let start = Instant::now();
    let rules = UrgentRules::new(&fifty_rules()).expect("the bench's rules compile");
    println!(
        "compiling 50 rules: {:.1} ms",
        start.elapsed().as_secs_f64() * 1000.0
    );
    let messages = [
        "Guten Tag, wann können Sie nächste Woche für die Wartung vorbeikommen?",
        "Hier noch ein Foto vom Typenschild, das Gerät ist von 2009. Viele Grüße, Familie Schmidt",
        "Vielen Dank für das Angebot, wir melden uns nach dem Wochenende bei Ihnen.",
        "Können Sie bitte die Rechnung noch einmal an die neue Adresse schicken? Danke!",
        "Notfall! Wasser läuft aus dem Heizkessel, was sollen wir tun?",
        "Seit heute Morgen keine Heizung mehr und die Kinder frieren",
    ];
    for round in 1..=3 {
        let n = 600_000;
        let mut hits = 0usize;
        let start = Instant::now();
        for i in 0..n {
            if rules.matches(black_box(messages[i % messages.len()])) {
                hits += 1;
            }
        }
        let per = start.elapsed().as_secs_f64() * 1e9 / n as f64;
        println!(
            "round {round}: {n} messages (2 of 6 urgent), {per:.0} ns per message, {hits} urgent"
        );
    }
    // The parts alone: the words, then the patterns.
    let all = fifty_rules();
    let parts = [
        (
            "40 words alone",
            UrgentRule {
                words: all[0].words.clone(),
                patterns: vec![],
            },
        ),
        (
            "10 patterns alone",
            UrgentRule {
                words: vec![],
                patterns: all[0].patterns.clone(),
            },
        ),
    ];
    for (what, rule) in parts {
        let rules = UrgentRules::new(&[rule]).expect("the bench's rules compile");
        let n = 300_000;
        let start = Instant::now();
        for i in 0..n {
            black_box(rules.matches(black_box(messages[i % messages.len()])));
        }
        println!(
            "{what}: {:.0} ns per message",
            start.elapsed().as_secs_f64() * 1e9 / n as f64
        );
    }
    let mut slow = all[0].patterns.clone();
    slow.push(r"\bheizung\w*\b".into());
    let rules_b = UrgentRules::new(&[UrgentRule {
        words: vec![],
        patterns: slow,
    }])
    .expect("the bench's rules compile");
    let n = 100_000;
    let start = Instant::now();
    for i in 0..n {
        black_box(rules_b.matches(black_box(messages[i % messages.len()])));
    }
    println!(
        "the 10 patterns and one with \\b and \\w: {:.0} ns per message",
        start.elapsed().as_secs_f64() * 1e9 / n as f64
    );
    let long = "Sehr geehrte Damen und Herren, ".repeat(60);
    let n = 50_000;
    let start = Instant::now();
    for _ in 0..n {
        black_box(rules.matches(black_box(&long)));
    }
    println!(
        "a long message ({} characters, nothing urgent): {:.0} ns",
        long.chars().count(),
        start.elapsed().as_secs_f64() * 1e9 / f64::from(n)
    );
}

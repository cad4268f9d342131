//! The compliance layer through the binary (docs/compliance.md): company data per legal
//! form checked at load (R-A1, R-A2), footer versions in the archive (R-A8), `compliance
//! check` (R-F2), `staff what-is-stored` and the monitoring gate (R-D1, R-D5). The
//! network flows (first contact, JA/STOP, gate, channel limits) are in
//! tests/signal_engine.rs and tests/matrix.rs.

mod support;

use support::*;

/// One valid `[company]` per legal form, as a firm would write it.
fn company(form: &str) -> String {
    let registered = |firma: &str, number: &str| {
        format!(
            "firma = \"{firma}\"\nsitz = \"Musterstadt\"\nregister_court = \"Amtsgericht Musterstadt\"\nregister_number = \"{number}\"\n"
        )
    };
    let body = match form {
        "einzelunternehmer" => "owner = \"Max Mustermann\"\naddress = \"Musterweg 1, 12345 Musterstadt\"\n".to_string(),
        "gbr" => "partners = [\"Max Mustermann\", \"Erika Musterfrau\"]\naddress = \"Musterweg 1, 12345 Musterstadt\"\n".to_string(),
        "egbr" => registered("Muster Haustechnik eGbR", "GsR 77"),
        "ek" => registered("Muster Haustechnik e.K.", "HRA 4711"),
        "ohg" => registered("Muster & Sohn OHG", "HRA 4712"),
        "kg" => registered("Muster Haustechnik KG", "HRA 4713"),
        "gmbh_co_kg" => registered("Muster Haustechnik GmbH & Co. KG", "HRA 4714"),
        "ug_co_kg" => registered("Muster Haustechnik UG (haftungsbeschränkt) & Co. KG", "HRA 4715"),
        "gmbh" => registered("Muster Haustechnik GmbH", "HRB 12345")
            + "managing_directors = [\"Max Mustermann\", \"Erika Musterfrau\"]\n",
        "ug" => registered("Muster Haustechnik UG (haftungsbeschränkt)", "HRB 12346")
            + "managing_directors = [\"Max Mustermann\"]\n",
        "ag" => registered("Muster Haustechnik AG", "HRB 12347")
            + "vorstand = [\"Max Mustermann\", \"Erika Musterfrau\"]\nvorstand_chair = \"Max Mustermann\"\nsupervisory_board_chair = \"Hans Aufsicht\"\n",
        "eg" => registered("Einkaufsgenossenschaft Sanitär eG", "GnR 55")
            + "vorstand = [\"Max Mustermann\", \"Erika Musterfrau\"]\n",
        other => panic!("no fixture for {other}"),
    };
    let partner = match form {
        "gmbh_co_kg" => {
            "\n[company.general_partner]\nfirma = \"Muster Verwaltungs GmbH\"\nsitz = \"Nachbarstadt\"\nregister_court = \"Amtsgericht Nachbarstadt\"\nregister_number = \"HRB 999\"\nmanaging_directors = [\"Erika Musterfrau\"]\n"
        }
        "ug_co_kg" => {
            "\n[company.general_partner]\nfirma = \"Muster Verwaltungs UG (haftungsbeschränkt)\"\nsitz = \"Nachbarstadt\"\nregister_court = \"Amtsgericht Nachbarstadt\"\nregister_number = \"HRB 998\"\nmanaging_directors = [\"Erika Musterfrau\"]\n"
        }
        _ => "",
    };
    format!(
        "\n[company]\nlegal_form = \"{form}\"\n{body}info_url = \"https://muster.example/pflichtangaben\"\nchamber = \"Handwerkskammer Musterstadt\"\n{partner}"
    )
}

/// The required keys per form (R-A1's table), as the error names them.
fn required(form: &str) -> Vec<&'static str> {
    let reg = vec!["firma", "sitz", "register_court", "register_number"];
    match form {
        "einzelunternehmer" => vec!["owner", "address"],
        "gbr" => vec!["partners", "address"],
        "egbr" | "ek" | "ohg" | "kg" => reg,
        "gmbh_co_kg" | "ug_co_kg" => [
            reg,
            vec![
                "general_partner.managing_directors",
                "general_partner.register_number",
            ],
        ]
        .concat(),
        "gmbh" | "ug" => [reg, vec!["managing_directors"]].concat(),
        "ag" => [reg, vec!["vorstand", "supervisory_board_chair"]].concat(),
        "eg" => [reg, vec!["vorstand"]].concat(),
        _ => unreachable!(),
    }
}

const FORMS: [&str; 12] = [
    "einzelunternehmer",
    "gbr",
    "egbr",
    "ek",
    "ohg",
    "kg",
    "gmbh_co_kg",
    "ug_co_kg",
    "gmbh",
    "ug",
    "ag",
    "eg",
];

/// Removes the line that sets `key` (in the nested table for `general_partner.x`).
fn without(config: &str, key: &str) -> String {
    let (table, field) = match key.split_once('.') {
        Some((_, f)) => ("[company.general_partner]", f),
        None => ("[company]", key),
    };
    let mut inside = false;
    let mut out = String::new();
    for line in config.lines() {
        if line.starts_with('[') {
            inside = line == table;
        }
        if inside && line.starts_with(&format!("{field} =")) {
            continue;
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

#[test]
fn r_a1_every_legal_form_starts_and_refuses_without_each_required_field() {
    for form in FORMS {
        let good = company(form);
        let p = Profile::with_config(&good);
        let out = p.run(&["footer", "preview"]);
        assert!(out.status.success(), "{form}: {}", stderr(&out));
        let footer = stdout(&out);
        let compact = stdout(&p.run(&["footer", "preview", "--compact"]));
        for key in required(form) {
            let broken = without(&good, key);
            assert_ne!(broken, good, "{form}: fixture lacks {key}");
            let q = Profile::with_config(&broken);
            let out = q.run(&["footer", "preview"]);
            let err = stderr(&out);
            assert_eq!(out.status.code(), Some(2), "{form} without {key}: {err}");
            // File, line and key, and the legal form the field is required by.
            assert!(err.contains("config.toml:"), "{err}");
            assert!(
                err.contains(&format!("key `company.{key}`")),
                "{form} without {key}: {err}"
            );
            assert!(err.contains("requires"), "{form} without {key}: {err}");
            // Nothing else starts either.
            let list = q.run(&["list"]);
            assert_eq!(list.status.code(), Some(2));
        }
        // Every required value verbatim in both renderings (R-A3), e.g. the register.
        for line in good.lines() {
            if let Some(v) = line.strip_prefix("register_number = ") {
                let v = v.trim_matches('"');
                assert!(footer.contains(v) && compact.contains(v), "{form}: {v}");
            }
        }
    }
}

#[test]
fn r_a2_an_initial_is_not_a_first_name_and_the_register_type_must_fit() {
    let p =
        Profile::with_config(&company("gmbh").replace("\"Erika Musterfrau\"", "\"E. Musterfrau\""));
    let out = p.run(&["footer", "preview"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("company.managing_directors[1]"),
        "{}",
        stderr(&out)
    );
    assert!(
        stderr(&out).contains("first name written out"),
        "{}",
        stderr(&out)
    );
    let p = Profile::with_config(&company("gmbh").replace("HRB 12345", "HRA 12345"));
    let out = p.run(&["footer", "preview"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("not a HRB number"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn footer_preview_shows_how_a_long_text_goes_out_per_network() {
    let p = Profile::with_config(&company("gmbh"));
    let text = "Kostenvoranschlag Bad: Fliesen, Wanne, Armaturen 🛁. ".repeat(90);
    let out = p.run(&[
        "footer",
        "preview",
        "--network",
        "whatsapp",
        "--text",
        &text,
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let shown = stdout(&out);
    assert!(shown.contains("── message 1/2"), "{shown}");
    assert!(shown.contains("── message 2/2"), "{shown}");
    assert!(
        shown
            .trim_end()
            .ends_with("Impressum und Datenschutz: https://muster.example/pflichtangaben")
    );
    let none = Profile::with_config("");
    let out = none.run(&["footer", "preview"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("no [company] section"),
        "{}",
        stderr(&out)
    );
}

/// A config a careful firm writes: company, retention decided, key copy noted.
fn complete() -> String {
    format!(
        "recovery_copy = \"Tresor Büro, Umschlag 3\"\n\n[retention]\ndefault_class = \"handelsbrief\"\n\n[consent]\nwording = \"Dürfen wir Ihnen zu Ihrem Auftrag hier schreiben? JA oder STOP.\"\n{}\n[[accounts]]\nid = \"buero\"\nnetwork = \"demo\"\n",
        company("gmbh")
    )
}

fn check(p: &Profile) -> (Option<i32>, serde_json::Value, String) {
    let out = p.run(&["compliance", "check", "--json"]);
    let v = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", stderr(&out)));
    let text = stdout(&p.run(&["compliance", "check"]));
    (out.status.code(), v, text)
}

fn level<'a>(v: &'a serde_json::Value, id: &str) -> &'a str {
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == id)
        .and_then(|f| f["level"].as_str())
        .unwrap_or("absent")
}

#[test]
fn r_f2_compliance_check_on_a_good_and_on_broken_configs() {
    // Good: nothing required missing, exit 0.
    let good = Profile::with_config(&complete());
    let (code, v, text) = check(&good);
    assert_eq!(code, Some(0), "{text}");
    assert_eq!(v["required_missing"], 0, "{v}");
    for id in [
        "company",
        "info_url",
        "retention",
        "key_recovery",
        "consent_wording",
        "monitoring",
        // The counts of a clean inbox are all zero.
        "unclassified",
        "sent_elsewhere",
        "footer_missing",
        "before_consent",
        "expired",
    ] {
        assert_eq!(level(&v, id), "ok", "{id}: {v}");
    }
    assert!(text.contains("0 required item(s) missing"), "{text}");

    // No company at all.
    let p = Profile::with_config(&complete().replace(&company("gmbh"), ""));
    let (code, v, text) = check(&p);
    assert_eq!(code, Some(1), "{text}");
    assert_eq!(level(&v, "company"), "required", "{v}");
    assert!(text.contains("MISSING  company"), "{text}");

    // No info_url, no key copy, defaults for retention and wording.
    let p = Profile::with_config(
        &company("gmbh").replace("info_url = \"https://muster.example/pflichtangaben\"\n", ""),
    );
    let (code, v, _) = check(&p);
    assert_eq!(code, Some(1));
    assert_eq!(level(&v, "info_url"), "required", "{v}");
    assert_eq!(level(&v, "key_recovery"), "required", "{v}");
    assert_eq!(level(&v, "retention"), "warning", "{v}");
    assert_eq!(level(&v, "consent_wording"), "warning", "{v}");
    assert_eq!(v["required_missing"], 2, "{v}");

    // The gate switched off is worth a warning, not silence.
    let p = Profile::with_config(&complete().replace(
        "[consent]\n",
        "[consent]\nrequire_consent_for_outbound = false\n",
    ));
    let (code, v, _) = check(&p);
    assert_eq!(code, Some(0));
    assert_eq!(level(&v, "consent_gate"), "warning", "{v}");

    // A check that runs writes its result to the log (R-F2).
    let logs = std::fs::read_dir(good.data.join("logs")).unwrap();
    let all: String = logs
        .flatten()
        .map(|e| std::fs::read_to_string(e.path()).unwrap_or_default())
        .collect();
    assert!(all.contains("compliance check"), "{all}");
}

#[test]
fn r_d1_monitoring_needs_a_works_agreement_and_a_dpia() {
    let p = Profile::with_config("\n[monitoring]\nagent_stats = true\n");
    let out = p.run(&["compliance", "check"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("config.toml:6:1: key `monitoring.agent_stats`"),
        "{err}"
    );
    assert!(err.contains("works_agreement_ref"), "{err}");
    let p = Profile::with_config(
        "\n[monitoring]\nagent_stats = true\nworks_agreement_ref = \"BV Messenger 2026-03\"\n",
    );
    let err = stderr(&p.run(&["list"]));
    assert!(err.contains("dpia_ref"), "{err}");
    let p = Profile::with_config("\n[monitoring]\nmin_group_size = 2\n");
    assert_eq!(p.run(&["list"]).status.code(), Some(2));
}

#[test]
fn r_d5_staff_see_what_is_stored_about_them() {
    let p = Profile::with_config(
        "\n[[staff]]\nname = \"Anna Schmidt\"\nlogin = \"anna\"\nrole = \"owner\"\n\n[[staff]]\nname = \"Ben Weber\"\n",
    );
    let out = p.run(&["staff", "what-is-stored", "Anna Schmidt"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.contains("What tresen stores about Anna Schmidt"),
        "{text}"
    );
    assert!(text.contains("(owner)"), "{text}");
    assert!(text.contains("Not stored: presence"), "{text}");
    assert!(text.contains("all off (default)"), "{text}");
    // Under a German locale, in German.
    let out = p
        .cmd()
        .args(["staff", "what-is-stored", "Ben Weber"])
        .env("LANG", "de_DE.UTF-8")
        .output()
        .unwrap();
    let text = stdout(&out);
    assert!(
        text.contains("Was tresen über Ben Weber speichert"),
        "{text}"
    );
    assert!(text.contains("(staff)"), "{text}");
    // A staff name must be a real name (it is what the archive records).
    let p = Profile::with_config("\n[[staff]]\nname = \"A. S.\"\n");
    let out = p.run(&["list"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("staff[0].name"), "{}", stderr(&out));
}

#[test]
fn r_a8_a_new_managing_director_is_a_new_footer_version_and_old_messages_keep_theirs() {
    let p = Profile::with_config(&complete());
    assert!(p.run(&["sync", "--once"]).status.success());
    let out = p.run(&["send", "1", "Angebot folgt.", "--tag", "angebot"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let before = stdout(&p.run(&["footer", "preview"]));
    std::fs::write(
        &p.config,
        std::fs::read_to_string(&p.config).unwrap().replace(
            "\"Max Mustermann\", \"Erika Musterfrau\"",
            "\"Erika Musterfrau\", \"Jonas Neumann\"",
        ),
    )
    .unwrap();
    let out = p.run(&["send", "1", "Angebot anbei.", "--tag", "angebot"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let after = stdout(&p.run(&["footer", "preview"]));
    assert_ne!(before, after);
    // The archive holds both versions, and each message the text it carried.
    let v: serde_json::Value =
        serde_json::from_slice(&p.run(&["archive", "verify", "--json"]).stdout).unwrap();
    let records = v["records"].as_u64().unwrap();
    let mut versions = Vec::new();
    let mut outgoing = Vec::new();
    for seq in 1..=records {
        let r: serde_json::Value =
            serde_json::from_slice(&p.run(&["archive", "get", &seq.to_string()]).stdout).unwrap();
        match r["kind"].as_str() {
            Some("footer_version") => versions.push(r["content"].clone()),
            Some("outgoing") => outgoing.push(r["content"].clone()),
            _ => {}
        }
    }
    assert_eq!(versions.len(), 2, "{versions:?}");
    assert!(
        versions[0]["full"]
            .as_str()
            .unwrap()
            .contains("Max Mustermann")
    );
    assert!(
        versions[1]["full"]
            .as_str()
            .unwrap()
            .contains("Jonas Neumann")
    );
    let by_version = |body_part: &str| {
        outgoing
            .iter()
            .find(|o| o["body"].as_str().unwrap().starts_with(body_part))
            .unwrap()
            .clone()
    };
    let first = by_version("Angebot folgt.");
    let second = by_version("Angebot anbei.");
    assert_eq!(first["footer"], versions[0]["version"]);
    // The customer wrote first and has not said JA yet: flagged in the archive (R-C3).
    assert_eq!(first["consent_pending"], true, "{first}");
    assert_eq!(second["footer"], versions[1]["version"]);
    assert!(first["body"].as_str().unwrap().contains("Max Mustermann"));
    assert!(second["body"].as_str().unwrap().contains("Jonas Neumann"));
    assert!(!second["body"].as_str().unwrap().contains("Max Mustermann"));
}

#[test]
fn assignment_through_the_binary_is_the_current_state_only() {
    let p = Profile::with_config(&format!(
        "{}\n[[staff]]\nname = \"Anna Schmidt\"\n\n[[staff]]\nname = \"Ben Weber\"\n",
        complete()
    ));
    assert!(p.run(&["sync", "--once"]).status.success());
    let out = p.run(&["assign", "1", "Ben Weber"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_slice(&p.run(&["list", "--json"]).stdout).unwrap();
    assert_eq!(v["conversations"][0]["assigned"], "Ben Weber", "{v}");
    let out = p.run(&["assign", "1", "Carla Unbekannt"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("not in [[staff]]"),
        "{}",
        stderr(&out)
    );
    assert!(p.run(&["assign", "1", "--none"]).status.success());
    let v: serde_json::Value = serde_json::from_slice(&p.run(&["list", "--json"]).stdout).unwrap();
    assert!(v["conversations"][0].get("assigned").is_none(), "{v}");
}

#[test]
fn r_a5_a_template_brings_its_tags_and_the_vordruck_exception_is_off_by_default() {
    let p = Profile::with_config(&format!(
        "{}\n[[quick_replies]]\nname = \"Kostenvoranschlag\"\ntext = \"Guten Tag {{kunde}}, anbei der Kostenvoranschlag.\"\ntags = [\"angebot\"]\n\n[[quick_replies]]\nname = \"Terminzettel\"\ntext = \"Ihr Termin: Montag 8 Uhr.\"\nvordruck = true\n",
        complete()
    ));
    assert!(p.run(&["sync", "--once"]).status.success());
    // The first-contact notice carried the footer; an offer from the template carries it
    // again (its tag), a plain reply does not.
    for args in [
        vec!["send", "1", "--template", "Kostenvoranschlag"],
        vec!["send", "1", "Bis Montag."],
        vec!["send", "1", "--template", "Terminzettel"],
    ] {
        let out = p.run(&args);
        assert!(out.status.success(), "{args:?}: {}", stderr(&out));
    }
    let v: serde_json::Value =
        serde_json::from_slice(&p.run(&["show", "1", "--json"]).stdout).unwrap();
    let ours: Vec<&str> = v["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["direction"] == "outbound" && m["sender"] != "tresen (automatisch)")
        .map(|m| m["body"].as_str().unwrap())
        .collect();
    assert_eq!(ours.len(), 3, "{ours:?}");
    assert!(
        ours[0].starts_with("Guten Tag Erika Mustermann, anbei der Kostenvoranschlag.\n\n-- \n"),
        "{}",
        ours[0]
    );
    assert_eq!(ours[1], "Bis Montag.");
    // A form without the exception switched on: the policy decides as for any message
    // (no footer within 30 days of the last).
    assert_eq!(ours[2], "Ihr Termin: Montag 8 Uhr.");
    let out = p.run(&["send", "1", "--template", "Gibtsnicht"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("no quick reply `Gibtsnicht`"),
        "{}",
        stderr(&out)
    );
}

/// A register a careful firm writes (R-C7): a host in Germany, a messenger provider in
/// the US with its transfer ground.
const REGISTER: &str = "\n[[processors]]\nname = \"Hetzner Online GmbH\"\nrole = \"homeserver_host\"\nlocation = \"DE\"\navv_ref = \"AVV 2026-01, Ordner Datenschutz\"\n\n[[processors]]\nname = \"Signal Technology Foundation\"\nrole = \"messenger\"\nlocation = \"US\"\ntransfer_mechanism = \"scc\"\navv_ref = \"keiner: eigener Verantwortlicher\"\n";

const BRIDGED: &str = "\n[[accounts]]\nid = \"matrix-buero\"\nnetwork = \"matrix\"\npurpose = \"business\"\nbridges = [{ network = \"whatsapp\", api_type = \"consumer_app_bridge\" }]\n";

#[test]
fn r_c6_r_c15_a_consumer_app_bridge_needs_the_firms_acceptance_and_a_dpia() {
    // A real account and no register: a finding, not a refusal to start.
    let p = Profile::with_config(&format!("{}{BRIDGED}", complete()));
    assert!(p.run(&["list"]).status.success());
    let (code, v, text) = check(&p);
    assert_eq!(code, Some(1), "{text}");
    assert_eq!(level(&v, "processors"), "required", "{v}");
    assert_eq!(level(&v, "channel_risk"), "required", "{v}");
    assert!(
        text.contains("WhatsApp (Meta) through a consumer-app bridge"),
        "{text}"
    );
    assert!(
        text.contains("accepted_risk_ref") && text.contains("dpia_ref"),
        "{text}"
    );

    // Acknowledged with a DPIA, and a register: a warning that stays visible.
    let acknowledged = BRIDGED.replace(
        "api_type = \"consumer_app_bridge\" }",
        "api_type = \"consumer_app_bridge\", accepted_risk_ref = \"GF-Beschluss 2026-04\", dpia_ref = \"DSFA-2026-02\" }",
    );
    let p = Profile::with_config(&format!("{}{acknowledged}{REGISTER}", complete()));
    let (code, v, text) = check(&p);
    assert_eq!(code, Some(0), "{text}");
    assert_eq!(level(&v, "processors"), "ok", "{v}");
    assert_eq!(level(&v, "channel_risk"), "warning", "{v}");
    assert!(text.contains("GF-Beschluss 2026-04"), "{text}");
}

#[test]
fn r_c7_processors_without_an_avv_are_counted_and_name_the_recipients() {
    let without = REGISTER.replace("avv_ref = \"AVV 2026-01, Ordner Datenschutz\"\n", "");
    let p = Profile::with_config(&format!("{}{without}", complete()));
    let (code, v, text) = check(&p);
    assert_eq!(code, Some(1), "{text}");
    assert_eq!(level(&v, "processors"), "required", "{v}");
    assert!(
        text.contains("1 processor(s) without avv_ref: Hetzner Online GmbH"),
        "{text}"
    );
}

#[test]
fn r_c13_the_vvt_names_every_processor_and_every_retention_rule() {
    let p = Profile::with_config(&format!("{}{BRIDGED}{REGISTER}", complete()));
    let out = p.run(&["docs", "vvt"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let vvt = stdout(&out);
    assert!(vvt.contains("Art. 30 Abs. 1 DSGVO"), "{vvt}");
    assert!(vvt.contains("Version 1,"), "{vvt}");
    for name in ["Hetzner Online GmbH", "Signal Technology Foundation"] {
        assert!(vvt.contains(name), "{name}: {vvt}");
    }
    assert!(vvt.contains("| Signal Technology Foundation | Messenger-Anbieter | US | keiner: eigener Verantwortlicher | scc |"), "{vvt}");
    assert!(vvt.contains("Grundlage scc"), "third countries: {vvt}");
    assert!(
        vvt.contains("| matrix-buero (Brücke) | WhatsApp (Meta) | consumer_app_bridge | – | – |"),
        "{vvt}"
    );
    for class in ["handelsbrief", "buchungsbeleg"] {
        assert!(vvt.contains(&format!("| {class} |")), "{class}: {vvt}");
    }
    assert!(
        vvt.contains("Muster Haustechnik GmbH"),
        "the controller: {vvt}"
    );
    // The same configuration is the same version; a changed register a new one, with
    // what changed.
    assert!(stdout(&p.run(&["docs", "vvt"])).contains("Version 1,"));
    let mut config = std::fs::read_to_string(&p.config).unwrap();
    config = config.replace("location = \"DE\"", "location = \"FI\"");
    std::fs::write(&p.config, config).unwrap();
    let v2 = stdout(&p.run(&["docs", "vvt"]));
    assert!(v2.contains("Version 2,"), "{v2}");
    assert!(
        v2.contains("neu: | Hetzner Online GmbH | Betreiber des Matrix-Servers | FI |"),
        "{v2}"
    );
}

/// R-F3: the documentation bundle holds every kept version — process documentation,
/// VVT, each archived configuration and from it the consent wordings, notices,
/// processors and retention rules as they were — the compliance reports, and a manifest
/// whose hashes hold.
#[test]
fn r_f3_the_bundle_holds_every_version_with_a_hash_manifest() {
    let p = Profile::with_config(&format!("{}{REGISTER}", complete()));
    // Each start of the engine archives the configuration in force if it changed.
    assert!(p.run(&["sync", "--once"]).status.success());
    assert!(p.run(&["docs", "vvt"]).status.success());
    // The firm changes its consent question and moves its homeserver.
    let config = std::fs::read_to_string(&p.config).unwrap();
    std::fs::write(
        &p.config,
        config
            .replace(
                "Dürfen wir Ihnen zu Ihrem Auftrag hier schreiben? JA oder STOP.",
                "Dürfen wir Ihnen hier schreiben? Antworten Sie JA; STOP beendet es.",
            )
            .replace("location = \"DE\"", "location = \"FI\""),
    )
    .unwrap();
    assert!(p.run(&["sync", "--once"]).status.success());
    let check = p.run(&["compliance", "check"]);
    assert!(check.status.code().is_some(), "{}", stderr(&check));

    let out_dir = p.dir.path().join("bundle");
    let out = p.run(&["docs", "bundle", "--out", out_dir.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("1 compliance reports"),
        "{}",
        stdout(&out)
    );
    let read = |name: &str| {
        std::fs::read_to_string(out_dir.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
    };
    assert!(
        read("vvt/vvt-v001.md")
            .contains("| Hetzner Online GmbH | Betreiber des Matrix-Servers | DE |")
    );
    assert!(
        read("vvt/vvt-v002.md")
            .contains("| Hetzner Online GmbH | Betreiber des Matrix-Servers | FI |")
    );
    assert!(read("verfahrensdoku/verfahrensdoku-v001.md").contains("Verfahrensdokumentation"));
    let configs: Vec<String> = std::fs::read_dir(out_dir.join("konfiguration"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(configs.len(), 2, "{configs:?}");
    let wordings = read("einwilligungstexte.md");
    assert!(
        wordings.contains("Dürfen wir Ihnen zu Ihrem Auftrag hier schreiben?"),
        "{wordings}"
    );
    assert!(
        wordings.contains("Dürfen wir Ihnen hier schreiben?"),
        "{wordings}"
    );
    let processors = read("verarbeiter.md");
    assert!(
        processors.contains("| DE |") && processors.contains("| FI |"),
        "{processors}"
    );
    let notices = read("datenschutzhinweise.md");
    assert_eq!(
        notices.matches("## Version n-").count(),
        2,
        "one per consent question: {notices}"
    );
    assert!(notices.contains("Antwort DATENSCHUTZ"), "{notices}");
    assert!(read("aufbewahrungsregeln.md").contains("| buchungsbeleg | 8 |"));
    assert_eq!(
        std::fs::read_dir(out_dir.join("pruefberichte"))
            .unwrap()
            .count(),
        1
    );
    // Every file is in the manifest, and its hash holds.
    let manifest = read("manifest.sha256");
    assert!(manifest.contains("  einwilligungstexte.md\n"), "{manifest}");
    assert!(manifest.contains("  vvt/vvt-v002.md\n"), "{manifest}");
    let sums = std::process::Command::new("sha256sum")
        .args(["-c", "--quiet", "manifest.sha256"])
        .current_dir(&out_dir)
        .output()
        .unwrap();
    assert!(
        sums.status.success(),
        "{}",
        String::from_utf8_lossy(&sums.stdout)
    );
    // Never into an existing directory.
    let again = p.run(&["docs", "bundle", "--out", out_dir.to_str().unwrap()]);
    assert_eq!(again.status.code(), Some(2), "{}", stderr(&again));
}

/// The demo conversation's messages as `show --json` gives them.
fn messages(p: &Profile) -> Vec<serde_json::Value> {
    let v: serde_json::Value =
        serde_json::from_slice(&p.run(&["show", "1", "--json"]).stdout).expect("show --json");
    v["messages"].as_array().unwrap().clone()
}

fn order(p: &Profile) -> serde_json::Value {
    let out = p.run(&["order", "show", "1", "--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap()[0].clone()
}

/// The customer's first message in the demo conversation.
fn customer_message(p: &Profile) -> serde_json::Value {
    messages(p)
        .into_iter()
        .find(|m| m["direction"] == "inbound")
        .unwrap()
}

/// `tresen order STEP 1 FLAG <the customer's first message>`.
fn order_with_message(p: &Profile, step: &str, flag: &str) -> std::process::Output {
    let id = customer_message(p)["id"].to_string();
    p.run(&["order", step, "1", flag, &id])
}

fn synced_demo() -> Profile {
    let p = Profile::with_demo_account();
    let out = p.run(&["sync", "--once"]);
    assert!(out.status.success(), "{}", stderr(&out));
    p
}

// R-E1: a consumer's order cannot be marked accepted before the Widerrufsbelehrung went
// out (or the urgent-repair exception quotes the customer's request); the acceptance
// links the archived belehrung message and shows the 14-day deadline. R-E2: work begun
// inside the period without the customer's express request is flagged — in the command's
// answer and in `compliance check` — until the request is linked.
#[test]
fn r_e1_a_consumer_order_needs_the_belehrung_before_it_is_accepted() {
    let p = synced_demo();
    let out = p.run(&["order", "consumer", "1"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(order(&p)["state"]["consumer"], true);
    let refused = p.run(&["order", "accept", "1"]);
    assert_eq!(refused.status.code(), Some(2), "{}", stdout(&refused));
    assert!(
        stderr(&refused).contains("Widerrufsbelehrung"),
        "{}",
        stderr(&refused)
    );
    // The office's own message is no customer request.
    let notice = messages(&p)
        .into_iter()
        .find(|m| m["direction"] == "outbound")
        .unwrap();
    let out = p.run(&[
        "order",
        "accept",
        "1",
        "--urgent-request",
        &notice["id"].to_string(),
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", stdout(&out));
    assert!(order(&p)["state"]["accepted"].is_null());

    let out = p.run(&["send", "1", "--template", "Widerrufsbelehrung"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let belehrung = messages(&p)
        .into_iter()
        .find(|m| {
            m["body"]
                .as_str()
                .unwrap()
                .starts_with("Widerrufsbelehrung")
        })
        .expect("the belehrung is in the conversation");
    assert!(
        belehrung["body"]
            .as_str()
            .unwrap()
            .contains("Muster-Widerrufsformular")
    );
    let out = p.run(&["order", "accept", "1"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let o = order(&p);
    assert_eq!(o["state"]["accepted"][1]["ground"], "informed", "{o}");
    assert_eq!(
        o["state"]["accepted"][1]["belehrung"],
        format!("local:{}", belehrung["id"]),
        "the acceptance links the archived belehrung"
    );
    let ends = chrono::Local::now().date_naive() + chrono::Days::new(14);
    assert_eq!(o["withdrawal"]["on"], ends.to_string(), "{o}");
    assert!(archived_kind(&p, "order") >= 2);
    let out = p.run(&["order", "decline", "1"]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "an accepted order is no declined offer"
    );

    // R-E2: work begins inside the period without the express request.
    let out = p.run(&["order", "start", "1"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains('⚠'), "{}", stdout(&out));
    let check = |p: &Profile| {
        let out = p.run(&["compliance", "check", "--json"]);
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        finding(&v, "widerruf").clone()
    };
    let w = check(&p);
    assert_eq!(w["level"], "warning", "{w}");
    assert!(w["message"].as_str().unwrap().contains("; 1 begun"), "{w}");
    let out = order_with_message(&p, "early-start", "--request");
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(!stdout(&out).contains('⚠'), "{}", stdout(&out));
    assert_eq!(check(&p)["level"], "ok");
}

// R-E1 (b): an urgent repair the customer asked for is accepted without the belehrung,
// quoting their message; there is no right of withdrawal to count down.
#[test]
fn r_e1_an_urgent_repair_quotes_the_customers_request() {
    let p = synced_demo();
    assert!(p.run(&["order", "consumer", "1"]).status.success());
    let request = customer_message(&p);
    let out = order_with_message(&p, "accept", "--urgent-request");
    assert!(out.status.success(), "{}", stderr(&out));
    let o = order(&p);
    assert_eq!(o["state"]["accepted"][1]["ground"], "urgent_repair", "{o}");
    assert_eq!(
        o["state"]["accepted"][1]["request"]["text"], request["body"],
        "{o}"
    );
    assert_eq!(o["withdrawal"]["kind"], "excluded");
    let text = stdout(&p.run(&["order", "show", "1"]));
    assert!(text.contains("312g"), "{text}");
}

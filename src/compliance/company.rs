//! The firm's legally required details (Pflichtangaben) per legal form, checked when the
//! configuration loads (R-A1, R-A2). Pure: no IO.
//!
//! The field set per form follows docs/compliance.md (§ 37a, § 125, § 177a HGB; § 35a
//! GmbHG; § 80 AktG; § 25a GenG; DL-InfoV § 2 for forms without a footer statute).

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LegalForm {
    Einzelunternehmer,
    Gbr,
    Egbr,
    Ek,
    Ohg,
    Kg,
    GmbhCoKg,
    UgCoKg,
    Gmbh,
    Ug,
    Ag,
    Eg,
}

impl LegalForm {
    pub const ALL: [LegalForm; 12] = [
        Self::Einzelunternehmer,
        Self::Gbr,
        Self::Egbr,
        Self::Ek,
        Self::Ohg,
        Self::Kg,
        Self::GmbhCoKg,
        Self::UgCoKg,
        Self::Gmbh,
        Self::Ug,
        Self::Ag,
        Self::Eg,
    ];

    pub fn key(self) -> &'static str {
        match self {
            Self::Einzelunternehmer => "einzelunternehmer",
            Self::Gbr => "gbr",
            Self::Egbr => "egbr",
            Self::Ek => "ek",
            Self::Ohg => "ohg",
            Self::Kg => "kg",
            Self::GmbhCoKg => "gmbh_co_kg",
            Self::UgCoKg => "ug_co_kg",
            Self::Gmbh => "gmbh",
            Self::Ug => "ug",
            Self::Ag => "ag",
            Self::Eg => "eg",
        }
    }

    /// How the form is named in an error, with the statute that asks for the details.
    pub fn label(self) -> &'static str {
        match self {
            Self::Einzelunternehmer => "Einzelunternehmer (DL-InfoV § 2)",
            Self::Gbr => "GbR (DL-InfoV § 2)",
            Self::Egbr => "eGbR (§ 707a BGB)",
            Self::Ek => "e.K. (§ 37a HGB)",
            Self::Ohg => "OHG (§§ 37a, 125 HGB)",
            Self::Kg => "KG (§§ 37a, 125, 177a HGB)",
            Self::GmbhCoKg => "GmbH & Co. KG (§§ 125, 177a HGB, § 35a GmbHG)",
            Self::UgCoKg => "UG & Co. KG (§§ 125, 177a HGB, § 35a GmbHG)",
            Self::Gmbh => "GmbH (§ 35a GmbHG)",
            Self::Ug => "UG (haftungsbeschränkt) (§ 35a GmbHG)",
            Self::Ag => "AG (§ 80 AktG)",
            Self::Eg => "eG (§ 25a GenG)",
        }
    }

    /// The register a number must come from: HRA, HRB, GnR, GsR; none when the firm is
    /// not registered.
    fn register(self) -> Option<&'static str> {
        match self {
            Self::Einzelunternehmer | Self::Gbr => None,
            Self::Egbr => Some("GsR"),
            Self::Ek | Self::Ohg | Self::Kg | Self::GmbhCoKg | Self::UgCoKg => Some("HRA"),
            Self::Gmbh | Self::Ug | Self::Ag => Some("HRB"),
            Self::Eg => Some("GnR"),
        }
    }

    /// Accepted spellings of the form in the Firma (§ 19 HGB and the company laws).
    fn suffixes(self) -> &'static [&'static str] {
        match self {
            Self::Einzelunternehmer | Self::Gbr => &[],
            Self::Egbr => &["eGbR", "eingetragene Gesellschaft bürgerlichen Rechts"],
            Self::Ek => &[
                "e.K.",
                "e. K.",
                "e.Kfm.",
                "e.Kfr.",
                "eingetragener Kaufmann",
                "eingetragene Kauffrau",
            ],
            Self::Ohg => &["OHG", "oHG", "offene Handelsgesellschaft"],
            Self::Kg => &["KG", "Kommanditgesellschaft"],
            Self::GmbhCoKg => &["GmbH & Co. KG", "GmbH & Co KG"],
            Self::UgCoKg => &[
                "UG (haftungsbeschränkt) & Co. KG",
                "UG (haftungsbeschränkt) & Co KG",
            ],
            Self::Gmbh => &["GmbH", "Gesellschaft mit beschränkter Haftung"],
            Self::Ug => &[
                "UG (haftungsbeschränkt)",
                "Unternehmergesellschaft (haftungsbeschränkt)",
            ],
            Self::Ag => &["AG", "Aktiengesellschaft"],
            Self::Eg => &["eG", "eingetragene Genossenschaft"],
        }
    }
}

/// `[company]` as written in the config. Validated into [`Company`].
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CompanyConfig {
    pub legal_form: Option<LegalForm>,
    /// The registered name including the form suffix, e.g. "Muster Haustechnik GmbH".
    pub firma: String,
    /// Seat (GmbH, AG, eG, OHG, KG) or place of business (e.K.).
    #[serde(alias = "niederlassung_ort")]
    pub sitz: String,
    /// e.g. "Amtsgericht Musterstadt".
    pub register_court: String,
    /// e.g. "HRB 12345": HRA for e.K./OHG/KG, HRB for GmbH/UG/AG, GnR for eG.
    pub register_number: String,
    /// Every managing director, first name written out (GmbH, UG).
    pub managing_directors: Vec<String>,
    /// Every member of the management board (AG, eG).
    pub vorstand: Vec<String>,
    /// The board's chair, named as such (AG).
    pub vorstand_chair: String,
    pub supervisory_board: bool,
    pub supervisory_board_chair: String,
    /// Share or stock capital, if the firm mentions capital at all: then the outstanding
    /// contributions are required too.
    #[serde(alias = "stammkapital", alias = "grundkapital")]
    pub capital: String,
    pub outstanding_contributions: String,
    pub in_liquidation: bool,
    pub liquidators: Vec<String>,
    /// Sole trader's name (Einzelunternehmer, e.K.).
    pub owner: String,
    /// All partners of a GbR.
    pub partners: Vec<String>,
    /// Postal address (ladungsfähige Anschrift).
    pub address: String,
    pub phone: String,
    pub email: String,
    /// The page with the full DL-InfoV details and the Art. 13 privacy notice.
    pub info_url: String,
    pub vat_id: String,
    /// Handwerkskammer (name, address).
    pub chamber: String,
    /// e.g. "Installateur und Heizungsbauer" (HwO Anlage A Nr. 24).
    pub trade: String,
    /// e.g. "Installateur- und Heizungsbauermeister", and where it was awarded.
    pub profession_title: String,
    /// The general partner of a GmbH & Co. KG / UG & Co. KG, validated as a GmbH / UG.
    pub general_partner: Option<Box<CompanyConfig>>,
}

/// Why company data cannot be used. `field` is the config key under `[company]`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CompanyError {
    #[error("{form} requires `{field}` ({what})")]
    MissingPflichtangabe {
        form: &'static str,
        field: String,
        what: &'static str,
    },
    #[error("{form}: `{field}`: {message}")]
    Malformed {
        form: &'static str,
        field: String,
        message: String,
    },
}

impl CompanyError {
    pub fn field(&self) -> &str {
        match self {
            Self::MissingPflichtangabe { field, .. } | Self::Malformed { field, .. } => field,
        }
    }
}

/// One value the footer must carry verbatim, with the label it is shown under.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Required {
    pub label: &'static str,
    pub value: String,
}

/// Validated company data: what the footer renders.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Company {
    pub form: LegalForm,
    pub config: CompanyConfig,
    /// Values every rendering must contain verbatim, in footer order.
    pub required: Vec<Required>,
    /// The general partner's required values (GmbH/UG & Co. KG).
    pub general_partner: Option<Box<Company>>,
}

/// Something to fix that does not stop tresen (R-A7: no `info_url`; eGbR register type).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    pub field: String,
    pub message: String,
    /// The same advice in German.
    pub message_de: String,
}

impl CompanyConfig {
    /// Checks the data against its legal form (R-A1, R-A2). `prefix` names nested tables
    /// (`general_partner.`) in errors.
    pub fn validate(&self) -> Result<Company, CompanyError> {
        self.validate_at("")
    }

    fn validate_at(&self, prefix: &str) -> Result<Company, CompanyError> {
        let Some(form) = self.legal_form else {
            return Err(CompanyError::MissingPflichtangabe {
                form: "[company]",
                field: format!("{prefix}legal_form"),
                what: "one of einzelunternehmer, gbr, egbr, ek, ohg, kg, gmbh_co_kg, ug_co_kg, gmbh, ug, ag, eg",
            });
        };
        let f = form.label();
        let key = |k: &str| format!("{prefix}{k}");
        let missing = |k: &str, what: &'static str| CompanyError::MissingPflichtangabe {
            form: f,
            field: key(k),
            what,
        };
        let malformed = |k: &str, message: String| CompanyError::Malformed {
            form: f,
            field: key(k),
            message,
        };
        let need = |k: &str, v: &str, what: &'static str| {
            if v.trim().is_empty() {
                Err(missing(k, what))
            } else {
                Ok(v.trim().to_string())
            }
        };
        let person = |k: &str, v: &str| -> Result<String, CompanyError> {
            check_person_name(v).map_err(|m| malformed(k, m))?;
            Ok(v.trim().to_string())
        };
        let people = |k: &str, vs: &[String], what: &'static str| {
            if vs.iter().all(|v| v.trim().is_empty()) {
                return Err(missing(k, what));
            }
            vs.iter()
                .enumerate()
                .map(|(i, v)| person(&format!("{k}[{i}]"), v))
                .collect::<Result<Vec<_>, _>>()
        };
        let mut required = Vec::new();
        let mut push =
            |label: &'static str, value: String| required.push(Required { label, value });

        match form {
            LegalForm::Einzelunternehmer => {
                let owner = need("owner", &self.owner, "first and family name of the owner")?;
                push("Inhaber", person("owner", &owner)?);
                push(
                    "Anschrift",
                    need("address", &self.address, "postal address")?,
                );
            }
            LegalForm::Gbr => {
                for p in people("partners", &self.partners, "the names of all partners")? {
                    push("Gesellschafter", p);
                }
                push(
                    "Anschrift",
                    need("address", &self.address, "postal address")?,
                );
            }
            _ => {
                let firma = need(
                    "firma",
                    &self.firma,
                    "the registered name with its legal-form suffix",
                )?;
                if !form.suffixes().iter().any(|s| firma.contains(s)) {
                    return Err(malformed(
                        "firma",
                        format!(
                            "`{firma}` does not show the legal form; it must contain {}",
                            form.suffixes()
                                .iter()
                                .map(|s| format!("\"{s}\""))
                                .collect::<Vec<_>>()
                                .join(" or ")
                        ),
                    ));
                }
                if self.in_liquidation && !firma.contains("i.L.") && !firma.contains("i. L.") {
                    return Err(malformed(
                        "firma",
                        "in liquidation: the Firma must carry \"i.L.\"".into(),
                    ));
                }
                push("Firma", firma);
                let sitz_what = if form == LegalForm::Ek {
                    "Ort der Handelsniederlassung"
                } else {
                    "Sitz der Gesellschaft"
                };
                push(
                    if form == LegalForm::Ek {
                        "Niederlassung"
                    } else {
                        "Sitz"
                    },
                    need("sitz", &self.sitz, sitz_what)?,
                );
                push(
                    "Registergericht",
                    need(
                        "register_court",
                        &self.register_court,
                        "the register court, e.g. \"Amtsgericht Musterstadt\"",
                    )?,
                );
                let number = need(
                    "register_number",
                    &self.register_number,
                    "the register number, e.g. \"HRB 12345\"",
                )?;
                if let Some(kind) = form.register()
                    && form != LegalForm::Egbr
                {
                    check_register_number(&number, kind)
                        .map_err(|m| malformed("register_number", m))?;
                }
                push("Register", number);
            }
        }
        match form {
            LegalForm::Gmbh | LegalForm::Ug => {
                for p in people(
                    "managing_directors",
                    &self.managing_directors,
                    "every managing director (Geschäftsführer)",
                )? {
                    push("Geschäftsführer", p);
                }
            }
            LegalForm::Ag | LegalForm::Eg => {
                let members = people("vorstand", &self.vorstand, "every member of the Vorstand")?;
                let chair = self.vorstand_chair.trim();
                if !chair.is_empty() {
                    if !members.iter().any(|m| m == chair) {
                        return Err(malformed(
                            "vorstand_chair",
                            format!("`{chair}` is not listed in `vorstand`"),
                        ));
                    }
                    push("Vorstandsvorsitz", chair.to_string());
                }
                for p in members.into_iter().filter(|m| m != chair) {
                    push("Vorstand", p);
                }
            }
            LegalForm::Ek if !self.owner.trim().is_empty() => {
                push("Inhaber", person("owner", &self.owner)?);
            }
            _ => {}
        }
        let has_board = self.supervisory_board || form == LegalForm::Ag;
        if has_board {
            let chair = need(
                "supervisory_board_chair",
                &self.supervisory_board_chair,
                "the chair of the supervisory board (Aufsichtsrat)",
            )?;
            push(
                "Aufsichtsratsvorsitz",
                person("supervisory_board_chair", &chair)?,
            );
        }
        if matches!(form, LegalForm::Gmbh | LegalForm::Ug | LegalForm::Ag) {
            let capital = self.capital.trim();
            let outstanding = self.outstanding_contributions.trim();
            match (capital.is_empty(), outstanding.is_empty()) {
                (true, true) => {}
                (false, false) => {
                    push("Kapital", capital.to_string());
                    push("Ausstehende Einlagen", outstanding.to_string());
                }
                (false, true) => {
                    return Err(missing(
                        "outstanding_contributions",
                        "capital is mentioned, so the total of outstanding contributions must be too",
                    ));
                }
                (true, false) => {
                    return Err(missing(
                        "capital",
                        "outstanding contributions need the capital they belong to",
                    ));
                }
            }
        }
        if self.in_liquidation {
            for p in people("liquidators", &self.liquidators, "every liquidator")? {
                push("Liquidator", p);
            }
        }
        let general_partner = match form {
            LegalForm::GmbhCoKg | LegalForm::UgCoKg => {
                let gp = self.general_partner.as_deref().ok_or_else(|| {
                    missing(
                        "general_partner",
                        "a [company.general_partner] table with the Komplementär's details",
                    )
                })?;
                let want = if form == LegalForm::GmbhCoKg {
                    LegalForm::Gmbh
                } else {
                    LegalForm::Ug
                };
                if gp.legal_form.is_some_and(|g| g != want) {
                    return Err(malformed(
                        "general_partner.legal_form",
                        format!("must be {} for a {}", want.key(), form.key()),
                    ));
                }
                let mut gp = gp.clone();
                gp.legal_form = Some(want);
                Some(Box::new(
                    gp.validate_at(&format!("{prefix}general_partner."))?,
                ))
            }
            _ => None,
        };
        Ok(Company {
            form,
            config: self.clone(),
            required,
            general_partner,
        })
    }

    /// Advice that does not stop start-up (R-A7, R-E6).
    pub fn warnings(&self) -> Vec<Warning> {
        let mut w = Vec::new();
        if self.info_url.trim().is_empty() {
            w.push(Warning {
                field: "info_url".into(),
                message: "no info_url: the footer cannot point to the DL-InfoV details and the privacy notice (R-A7)".into(),
                message_de: "keine info_url: die Fußzeile kann nicht auf die Angaben nach DL-InfoV und die Datenschutzerklärung verweisen (R-A7)".into(),
            });
        }
        if self.chamber.trim().is_empty() {
            w.push(Warning {
                field: "chamber".into(),
                message: "no chamber (Handwerkskammer): DL-InfoV § 2 asks for it on the info page"
                    .into(),
                message_de:
                    "keine Kammer (Handwerkskammer): § 2 DL-InfoV verlangt sie auf der Info-Seite"
                        .into(),
            });
        }
        if self.legal_form == Some(LegalForm::Egbr)
            && check_register_number(&self.register_number, "GsR").is_err()
        {
            w.push(Warning {
                field: "register_number".into(),
                message: "an eGbR's number usually comes from the Gesellschaftsregister (GsR …)"
                    .into(),
                message_de: "die Nummer einer eGbR stammt in der Regel aus dem Gesellschaftsregister (GsR …)"
                    .into(),
            });
        }
        w
    }
}

impl Company {
    /// Every value the renderings must carry verbatim, the general partner's included.
    pub fn all_required(&self) -> Vec<&Required> {
        let mut v: Vec<&Required> = self.required.iter().collect();
        if let Some(gp) = &self.general_partner {
            v.extend(gp.required.iter());
        }
        v
    }
}

/// A family name and at least one first name written out: "M. Mustermann" is not
/// enough (§ 35a(1) GmbHG, § 80 AktG, § 25a GenG).
pub fn check_person_name(name: &str) -> Result<(), String> {
    let tokens: Vec<&str> = name.split_whitespace().collect();
    let written_out =
        |t: &&str| t.chars().filter(|c| c.is_alphabetic()).count() >= 2 && !t.ends_with('.');
    match tokens.split_last() {
        Some((family, firsts)) if written_out(family) && firsts.iter().any(written_out) => Ok(()),
        _ => Err(format!(
            "`{}` needs a first name written out and a family name, e.g. \"Max Mustermann\"",
            name.trim()
        )),
    }
}

/// "HRB 12345", "HRB 12345 B": the register's letters, then a number.
pub fn check_register_number(number: &str, kind: &str) -> Result<(), String> {
    let n = number.trim();
    let ok = n
        .strip_prefix(kind)
        .map(str::trim_start)
        .is_some_and(|rest| rest.starts_with(|c: char| c.is_ascii_digit()));
    if ok {
        Ok(())
    } else {
        Err(format!(
            "`{n}` is not a {kind} number (expected e.g. \"{kind} 12345\")"
        ))
    }
}

#[cfg(test)]
pub(crate) mod fixtures {
    use super::*;

    /// One valid fixture per legal form, with every field the form requires.
    pub fn valid(form: LegalForm) -> CompanyConfig {
        let base = CompanyConfig {
            legal_form: Some(form),
            address: "Musterweg 1, 12345 Musterstadt".into(),
            info_url: "https://muster-haustechnik.de/pflichtangaben".into(),
            chamber: "Handwerkskammer Musterstadt".into(),
            ..Default::default()
        };
        let registered = |firma: &str, number: &str| CompanyConfig {
            firma: firma.into(),
            sitz: "Musterstadt".into(),
            register_court: "Amtsgericht Musterstadt".into(),
            register_number: number.into(),
            ..base.clone()
        };
        match form {
            LegalForm::Einzelunternehmer => CompanyConfig {
                owner: "Max Mustermann".into(),
                ..base
            },
            LegalForm::Gbr => CompanyConfig {
                partners: vec!["Max Mustermann".into(), "Erika Musterfrau".into()],
                ..base
            },
            LegalForm::Egbr => registered("Muster Haustechnik eGbR", "GsR 77"),
            LegalForm::Ek => registered("Muster Haustechnik e.K.", "HRA 4711"),
            LegalForm::Ohg => registered("Muster & Sohn OHG", "HRA 4712"),
            LegalForm::Kg => registered("Muster Haustechnik KG", "HRA 4713"),
            LegalForm::GmbhCoKg | LegalForm::UgCoKg => {
                let (firma, gp_form, gp_firma) = if form == LegalForm::GmbhCoKg {
                    (
                        "Muster Haustechnik GmbH & Co. KG",
                        LegalForm::Gmbh,
                        "Muster Verwaltungs GmbH",
                    )
                } else {
                    (
                        "Muster Haustechnik UG (haftungsbeschränkt) & Co. KG",
                        LegalForm::Ug,
                        "Muster Verwaltungs UG (haftungsbeschränkt)",
                    )
                };
                CompanyConfig {
                    general_partner: Some(Box::new(CompanyConfig {
                        legal_form: Some(gp_form),
                        firma: gp_firma.into(),
                        sitz: "Nachbarstadt".into(),
                        register_court: "Amtsgericht Nachbarstadt".into(),
                        register_number: "HRB 999".into(),
                        managing_directors: vec!["Erika Musterfrau".into()],
                        ..Default::default()
                    })),
                    ..registered(firma, "HRA 4714")
                }
            }
            LegalForm::Gmbh => CompanyConfig {
                managing_directors: vec!["Max Mustermann".into(), "Erika Musterfrau".into()],
                ..registered("Muster Haustechnik GmbH", "HRB 12345")
            },
            LegalForm::Ug => CompanyConfig {
                managing_directors: vec!["Max Mustermann".into()],
                ..registered("Muster Haustechnik UG (haftungsbeschränkt)", "HRB 12346")
            },
            LegalForm::Ag => CompanyConfig {
                vorstand: vec!["Max Mustermann".into(), "Erika Musterfrau".into()],
                vorstand_chair: "Max Mustermann".into(),
                supervisory_board_chair: "Hans Aufsicht".into(),
                ..registered("Muster Haustechnik AG", "HRB 12347")
            },
            LegalForm::Eg => CompanyConfig {
                vorstand: vec!["Max Mustermann".into(), "Erika Musterfrau".into()],
                ..registered("Einkaufsgenossenschaft Sanitär eG", "GnR 55")
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::fixtures::valid;
    use super::*;

    /// Clears one field by its key (as a table-driven test removes it).
    fn without(mut c: CompanyConfig, field: &str) -> CompanyConfig {
        match field {
            "legal_form" => c.legal_form = None,
            "firma" => c.firma.clear(),
            "sitz" => c.sitz.clear(),
            "register_court" => c.register_court.clear(),
            "register_number" => c.register_number.clear(),
            "managing_directors" => c.managing_directors.clear(),
            "vorstand" => c.vorstand.clear(),
            "supervisory_board_chair" => c.supervisory_board_chair.clear(),
            "owner" => c.owner.clear(),
            "partners" => c.partners.clear(),
            "address" => c.address.clear(),
            "general_partner" => c.general_partner = None,
            "general_partner.managing_directors" => {
                if let Some(gp) = c.general_partner.as_mut() {
                    gp.managing_directors.clear();
                }
            }
            "general_partner.register_number" => {
                if let Some(gp) = c.general_partner.as_mut() {
                    gp.register_number.clear();
                }
            }
            other => panic!("fixture helper does not know {other}"),
        }
        c
    }

    /// The fields each form requires (R-A1's table).
    fn required_fields(form: LegalForm) -> &'static [&'static str] {
        const REG: [&str; 4] = ["firma", "sitz", "register_court", "register_number"];
        match form {
            LegalForm::Einzelunternehmer => &["legal_form", "owner", "address"],
            LegalForm::Gbr => &["legal_form", "partners", "address"],
            LegalForm::Egbr | LegalForm::Ek | LegalForm::Ohg | LegalForm::Kg => &REG,
            LegalForm::GmbhCoKg | LegalForm::UgCoKg => &[
                "firma",
                "sitz",
                "register_court",
                "register_number",
                "general_partner",
                "general_partner.managing_directors",
                "general_partner.register_number",
            ],
            LegalForm::Gmbh | LegalForm::Ug => &[
                "firma",
                "sitz",
                "register_court",
                "register_number",
                "managing_directors",
            ],
            LegalForm::Ag => &[
                "firma",
                "sitz",
                "register_court",
                "register_number",
                "vorstand",
                "supervisory_board_chair",
            ],
            LegalForm::Eg => &[
                "firma",
                "sitz",
                "register_court",
                "register_number",
                "vorstand",
            ],
        }
    }

    #[test]
    fn r_a1_every_form_fixture_is_valid_and_every_required_field_is_enforced() {
        for form in LegalForm::ALL {
            let ok = valid(form).validate();
            assert!(ok.is_ok(), "{form:?}: {ok:?}");
            for field in required_fields(form) {
                let e = without(valid(form), field).validate().unwrap_err();
                assert_eq!(e.field(), *field, "{form:?} without {field}: {e}");
                assert!(
                    matches!(e, CompanyError::MissingPflichtangabe { .. }),
                    "{form:?} without {field}: {e}"
                );
                if *field != "legal_form" {
                    assert!(
                        e.to_string().contains(form.label())
                            || field.starts_with("general_partner."),
                        "{e}"
                    );
                }
            }
        }
    }

    #[test]
    fn r_a1_capital_needs_outstanding_contributions() {
        let mut c = valid(LegalForm::Gmbh);
        c.capital = "25.000 EUR".into();
        let e = c.validate().unwrap_err();
        assert_eq!(e.field(), "outstanding_contributions");
        c.outstanding_contributions = "0 EUR".into();
        let company = c.validate().unwrap();
        assert!(company.required.iter().any(|r| r.value == "25.000 EUR"));
    }

    #[test]
    fn r_a1_supervisory_board_liquidation_and_suffix() {
        let mut c = valid(LegalForm::Gmbh);
        c.supervisory_board = true;
        assert_eq!(c.validate().unwrap_err().field(), "supervisory_board_chair");
        c.supervisory_board_chair = "Hans Aufsicht".into();
        assert!(c.validate().is_ok());
        c.in_liquidation = true;
        assert_eq!(c.validate().unwrap_err().field(), "firma");
        c.firma = "Muster Haustechnik GmbH i.L.".into();
        assert_eq!(c.validate().unwrap_err().field(), "liquidators");
        c.liquidators = vec!["Lisa Abwickler".into()];
        assert!(c.validate().is_ok());
        let mut k = valid(LegalForm::Ek);
        k.firma = "Muster Haustechnik".into();
        assert_eq!(k.validate().unwrap_err().field(), "firma");
    }

    #[test]
    fn r_a2_names_need_a_written_out_first_name() {
        let mut c = valid(LegalForm::Gmbh);
        c.managing_directors = vec!["Max Mustermann".into(), "M. Mustermann".into()];
        let e = c.validate().unwrap_err();
        assert_eq!(e.field(), "managing_directors[1]", "{e}");
        assert!(check_person_name("Max Mustermann").is_ok());
        assert!(check_person_name("Dr. Max Mustermann").is_ok());
        assert!(check_person_name("M Mustermann").is_err());
        assert!(check_person_name("Mustermann").is_err());
        assert!(check_person_name("Max M.").is_err());
    }

    #[test]
    fn r_a2_register_number_matches_the_form() {
        let mut c = valid(LegalForm::Gmbh);
        c.register_number = "HRA 123".into();
        let e = c.validate().unwrap_err();
        assert_eq!(e.field(), "register_number");
        assert!(e.to_string().contains("HRB"), "{e}");
        let mut k = valid(LegalForm::Kg);
        k.register_number = "HRB 1".into();
        assert!(k.validate().is_err());
        let mut g = valid(LegalForm::Eg);
        g.register_number = "HRB 1".into();
        assert!(g.validate().is_err());
        // eGbR: a warning only.
        let mut b = valid(LegalForm::Egbr);
        b.register_number = "HRA 5".into();
        assert!(b.validate().is_ok());
        assert!(b.warnings().iter().any(|w| w.field == "register_number"));
    }

    #[test]
    fn r_a7_missing_info_url_is_a_warning_not_a_substitute() {
        let mut c = valid(LegalForm::Gmbh);
        c.info_url.clear();
        assert!(c.validate().is_ok());
        assert!(c.warnings().iter().any(|w| w.field == "info_url"));
        let mut d = valid(LegalForm::Gmbh);
        d.register_court.clear();
        assert!(
            d.validate().is_err(),
            "an info_url does not replace register data"
        );
    }
}

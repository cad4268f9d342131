//! Recognising a file that looks like an invoice (R-E3), so the archive keeps it as a
//! Buchungsbeleg until staff decide otherwise. A guess from the file itself, never a
//! judgement about its content: staff confirm or correct it (`tresen retention item`).

/// Why a file looks like an invoice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InvoiceSign {
    /// An XRechnung / EN 16931 invoice in UBL syntax.
    Ubl,
    /// An XRechnung / EN 16931 invoice in UN/CEFACT CII syntax.
    Cii,
    /// A PDF carrying an embedded Factur-X / ZUGFeRD invoice.
    FacturX,
    /// A PDF whose name says Rechnung or Invoice.
    NamedPdf,
}

impl InvoiceSign {
    /// What it is, for a listing.
    pub fn describe(self, de: bool) -> &'static str {
        match (self, de) {
            (Self::Ubl, true) => "E-Rechnung (XRechnung, UBL)",
            (Self::Ubl, false) => "e-invoice (XRechnung, UBL)",
            (Self::Cii, true) => "E-Rechnung (XRechnung, CII)",
            (Self::Cii, false) => "e-invoice (XRechnung, CII)",
            (Self::FacturX, true) => "PDF mit eingebetteter E-Rechnung (ZUGFeRD/Factur-X)",
            (Self::FacturX, false) => "PDF with an embedded e-invoice (ZUGFeRD/Factur-X)",
            (Self::NamedPdf, true) => "PDF namens Rechnung",
            (Self::NamedPdf, false) => "PDF named invoice",
        }
    }
}

/// Marks of a PDF/A-3 with an embedded invoice: the attachment names the standards
/// prescribe, and the XMP namespaces of their metadata (both stay uncompressed in
/// conforming files).
const EMBEDDED_MARKS: &[&[u8]] = &[
    b"factur-x.xml",
    b"zugferd-invoice.xml",
    b"zugferd_invoice.xml",
    b"xrechnung.xml",
    b"urn:factur-x:pdfa:crossindustrydocument",
    b"urn:zugferd:pdfa:crossindustrydocument",
];

/// How far into an XML file the root element is looked for (a prolog and comments
/// before it are short).
const XML_HEAD: usize = 4096;

/// Whether `bytes` (a file named `name`, of type `mime`) looks like an invoice, and why.
pub fn detect(name: &str, mime: &str, bytes: &[u8]) -> Option<InvoiceSign> {
    let lower = name.to_lowercase();
    let pdf = bytes.starts_with(b"%PDF") || mime == "application/pdf" || lower.ends_with(".pdf");
    if pdf {
        if EMBEDDED_MARKS
            .iter()
            .any(|m| contains_ignore_case(bytes, m))
        {
            return Some(InvoiceSign::FacturX);
        }
        if ["rechnung", "invoice"].iter().any(|w| lower.contains(w)) {
            return Some(InvoiceSign::NamedPdf);
        }
        return None;
    }
    let xml = lower.ends_with(".xml") || mime.ends_with("/xml") || bytes.starts_with(b"<?xml");
    if !xml {
        return None;
    }
    let head = &bytes[..bytes.len().min(XML_HEAD)];
    if contains_ignore_case(
        head,
        b"urn:oasis:names:specification:ubl:schema:xsd:invoice-2",
    ) || contains_ignore_case(
        head,
        b"urn:oasis:names:specification:ubl:schema:xsd:creditnote-2",
    ) {
        return Some(InvoiceSign::Ubl);
    }
    if contains_ignore_case(
        head,
        b"urn:un:unece:uncefact:data:standard:crossindustryinvoice",
    ) {
        return Some(InvoiceSign::Cii);
    }
    None
}

/// `needle` (lower-case ASCII) anywhere in `hay`, ignoring ASCII case.
fn contains_ignore_case(hay: &[u8], needle: &[u8]) -> bool {
    needle.len() <= hay.len()
        && hay
            .windows(needle.len())
            .any(|w| w.eq_ignore_ascii_case(needle))
}

#[cfg(test)]
mod tests {
    use super::*;

    // R-E3: the three kinds of invoice file the requirement names are recognised; an
    // ordinary photo, a PDF brochure and an XML that is no invoice are not.
    #[test]
    fn invoices_are_recognised_by_their_form() {
        let ubl = br#"<?xml version="1.0" encoding="UTF-8"?>
<ubl:Invoice xmlns:ubl="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"><cbc:ID>R-1</cbc:ID></ubl:Invoice>"#;
        assert_eq!(detect("x.xml", "text/xml", ubl), Some(InvoiceSign::Ubl));
        let cii = br#"<?xml version="1.0"?><rsm:CrossIndustryInvoice xmlns:rsm="urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"/>"#;
        assert_eq!(
            detect("beleg.xml", "application/xml", cii),
            Some(InvoiceSign::Cii)
        );
        let zugferd = b"%PDF-1.7\n1 0 obj << /Type /Filespec /F (factur-x.xml) /AFRelationship /Alternative >>";
        assert_eq!(
            detect("2026-0815.pdf", "application/pdf", zugferd),
            Some(InvoiceSign::FacturX)
        );
        assert_eq!(
            detect(
                "Rechnung 2026-0815.pdf",
                "application/pdf",
                b"%PDF-1.4 plain"
            ),
            Some(InvoiceSign::NamedPdf)
        );
        assert_eq!(detect("Prospekt.pdf", "application/pdf", b"%PDF-1.4"), None);
        assert_eq!(
            detect("bad.jpg", "image/jpeg", b"\xff\xd8\xffRechnung"),
            None
        );
        assert_eq!(
            detect("order.xml", "text/xml", b"<?xml version=\"1.0\"?><Order/>"),
            None
        );
    }
}

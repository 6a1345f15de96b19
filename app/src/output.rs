//! What a command tells its user: lines for a person, or one JSON object (`--output json`) for a script. Either
//! way every transaction's signature is given, with its explorer link.

use crate::config::explorer_url;
use crate::error::Error;
use serde_json::{json, Map, Value};

#[derive(clap::ValueEnum, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Format {
    #[default]
    Human,
    Json,
}

/// What a command did, gathered as it runs and printed once at the end.
#[derive(Debug, Default)]
pub struct Report {
    lines: Vec<String>,
    fields: Map<String, Value>,
    signatures: Vec<String>,
}

impl Report {
    /// A line for a person and a field for a script, saying the same thing.
    pub fn say(&mut self, key: &str, value: Value, line: String) {
        self.fields.insert(key.to_string(), value);
        self.lines.push(line);
    }

    pub fn signed(&mut self, signature: String) {
        self.signatures.push(signature);
    }

    /// Whether any transaction landed (then the report is worth printing even when a later step failed).
    pub fn has_signatures(&self) -> bool {
        !self.signatures.is_empty()
    }

    /// The report as `format` prints it, explorer links for the cluster at `url`.
    pub fn render(&self, format: Format, url: &str) -> String {
        match format {
            Format::Human => {
                let mut out: Vec<String> = self.lines.iter().filter(|line| !line.is_empty()).cloned().collect();
                for signature in &self.signatures {
                    out.push(format!("signature: {signature}\nexplorer: {}", explorer_url(signature, url)));
                }
                out.iter().map(|line| format!("{line}\n")).collect()
            }
            Format::Json => {
                let mut object = self.fields.clone();
                let signatures: Vec<Value> = self
                    .signatures
                    .iter()
                    .map(|s| json!({ "signature": s, "explorer": explorer_url(s, url) }))
                    .collect();
                object.insert("transactions".to_string(), Value::Array(signatures));
                format!("{}\n", Value::Object(object))
            }
        }
    }
}

/// An error as `format` prints it (on stderr): the kind, and for a program refusal its name and code.
pub fn render_error(error: &Error, format: Format) -> String {
    match format {
        Format::Human => format!("error: {error}"),
        Format::Json => {
            let mut object = json!({ "error": { "kind": error.kind(), "message": error.to_string() } });
            if let (Error::Program { code, name, .. }, Some(inner)) = (error, object.get_mut("error")) {
                inner["code"] = json!(code);
                inner["name"] = json!(name);
            }
            object.to_string()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_output_carries_fields_and_transactions() {
        let mut report = Report::default();
        report.say("market", json!("M"), "market: M".to_string());
        report.signed("S".to_string());
        let human = report.render(Format::Human, "https://api.devnet.solana.com");
        assert!(human.contains("market: M\nsignature: S\nexplorer: https://explorer.solana.com/tx/S?cluster=devnet"));
        let parsed: Value =
            serde_json::from_str(&report.render(Format::Json, "https://api.devnet.solana.com")).unwrap_or_default();
        assert_eq!(parsed["market"], "M");
        assert_eq!(parsed["transactions"][0]["signature"], "S");
    }

    #[test]
    fn a_program_error_in_json_has_its_name_and_code() {
        let error = Error::from(backstop_math::MathError::OracleStale);
        let parsed: Value = serde_json::from_str(&render_error(&error, Format::Json)).unwrap_or_default();
        assert_eq!(parsed["error"]["kind"], "program");
        assert_eq!(parsed["error"]["name"], "OracleStale");
        assert_eq!(parsed["error"]["code"], 6004);
    }
}

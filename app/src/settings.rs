//! A settings file for a long-running keeper (`--env-file`, or `BACKSTOP_ENV_FILE`): `NAME=value` lines with the
//! environment's own names (only names the command line reads; a misspelt one is refused) (`BACKSTOP_KEEPER_MARKET=...`, `BACKSTOP_URL=...`; `#` comments and blank lines
//! skipped), the shape a service manager's environment file or a container's env file already has. A variable
//! already set in the environment wins over the file, and a flag over both, so every setting has one name and one
//! parser: the flag's.

use crate::error::{Error, Result};

/// The variable naming the settings file, and the flag.
pub const ENV_FILE_VARIABLE: &str = "BACKSTOP_ENV_FILE";
pub const ENV_FILE_FLAG: &str = "--env-file";

/// The settings in `text` (a file's contents), in order. A line that is not `NAME=value` with a `NAME` in `known`
/// (the variables the command line reads) is refused by its number, so a typo never silently drops a setting.
pub fn parse(text: &str, known: &[String]) -> Result<Vec<(String, String)>> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut settings = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let refused = |why: &str| Error::Input(format!("settings line {}: {why}: {line}", index + 1));
        let (key, value) = line.split_once('=').ok_or_else(|| refused("not KEY=value"))?;
        let key = key.trim().trim_start_matches("export ").trim();
        if !known.iter().any(|name| name == key) {
            return Err(refused("not a variable backstop reads (`backstop keeper --help` names them)"));
        }
        let value = value.trim();
        let unquoted = value
            .strip_prefix('"')
            .and_then(|v| v.strip_suffix('"'))
            .or_else(|| value.strip_prefix('\'').and_then(|v| v.strip_suffix('\'')))
            .unwrap_or(value);
        settings.push((key.to_string(), unquoted.to_string()));
    }
    Ok(settings)
}

/// The settings file `args` (the command line) or the environment names, if any.
pub fn named(args: &[String]) -> Option<String> {
    let flagged = args.iter().enumerate().find_map(|(i, arg)| match arg.strip_prefix(ENV_FILE_FLAG) {
        Some("") => args.get(i + 1).cloned(),
        Some(rest) => rest.strip_prefix('=').map(str::to_string),
        None => None,
    });
    flagged.or_else(|| std::env::var(ENV_FILE_VARIABLE).ok())
}

/// Reads the settings file at `path` and sets each of its variables the environment does not already set. Runs
/// before the command line is parsed, while the process has one thread.
pub fn load(path: &str, known: &[String]) -> Result<()> {
    let text = std::fs::read_to_string(crate::config::expand_tilde(path))
        .map_err(|e| Error::Input(format!("settings file {path}: {e}")))?;
    for (key, value) in parse(&text, known)? {
        if std::env::var_os(&key).is_none() {
            std::env::set_var(key, value);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_are_backstop_variables_one_a_line_quotes_and_comments_allowed() {
        let text = "# the SOL keeper\n\nBACKSTOP_KEEPER_MARKET=So11111111111111111111111111111111111111112\n\
                    export BACKSTOP_URL = \"https://api.devnet.solana.com\"\nBACKSTOP_KEEPER_METRICS='0.0.0.0:9464'\n";
        let known: Vec<String> =
            ["BACKSTOP_KEEPER_MARKET", "BACKSTOP_URL", "BACKSTOP_KEEPER_METRICS"].map(String::from).to_vec();
        let parsed = parse(text, &known).expect("parses");
        let keys: Vec<&str> = parsed.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(keys, ["BACKSTOP_KEEPER_MARKET", "BACKSTOP_URL", "BACKSTOP_KEEPER_METRICS"]);
        assert_eq!(parsed[1].1, "https://api.devnet.solana.com");
        assert_eq!(parsed[2].1, "0.0.0.0:9464");
        let refused = |text: &str| parse(text, &known).expect_err("refused").to_string();
        assert!(refused("BACKSTOP_URL=x\nmarket=M").contains("line 2"));
        assert!(refused("PATH=/tmp").contains("not a variable backstop reads"));
        // A misspelt name is refused, not ignored.
        assert!(refused("BACKSTOP_KEEPER_CONCURENCY=1").contains("not a variable backstop reads"));
        assert!(refused("BACKSTOP_URL").contains("not KEY=value"));
        // A byte-order mark is not part of the first name.
        assert_eq!(parse("\u{feff}BACKSTOP_URL=x", &known).expect("parses")[0].0, "BACKSTOP_URL");
    }

    #[test]
    fn the_file_is_named_by_the_flag_in_either_form() {
        let args = |list: &[&str]| list.iter().map(|a| a.to_string()).collect::<Vec<_>>();
        assert_eq!(named(&args(&["backstop", "--env-file", "k.env", "keeper"])).as_deref(), Some("k.env"));
        assert_eq!(named(&args(&["backstop", "keeper", "--env-file=k.env"])).as_deref(), Some("k.env"));
    }
}

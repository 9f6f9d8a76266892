//! The configuration file: `KEY=value` lines (the format of systemd's `EnvironmentFile` and
//! Docker's `--env-file`), read before anything else. A variable already set in the environment
//! wins over the file, so one file serves every process and a single run can override it.

use std::path::Path;

/// The file named by `--config FILE` (or `--config=FILE`) among the arguments, else by
/// `PHILIA_CONFIG`.
pub fn config_path(args: &[String]) -> Option<String> {
    let mut it = args.iter();
    while let Some(a) = it.next() {
        if a == "--config" {
            return it.next().cloned();
        }
        if let Some(v) = a.strip_prefix("--config=") {
            return Some(v.to_string());
        }
    }
    std::env::var("PHILIA_CONFIG").ok().filter(|p| !p.trim().is_empty())
}

/// The settings of a file: `KEY=value` per line; blank lines and lines starting with `#` are
/// skipped; a value may be wrapped in single or double quotes. A malformed line is an error
/// naming its number.
pub fn parse(text: &str) -> Result<Vec<(String, String)>, String> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let line = line.strip_prefix("export ").unwrap_or(line);
        let Some((key, value)) = line.split_once('=') else {
            return Err(format!("line {}: expected KEY=value", i + 1));
        };
        let key = key.trim();
        if key.is_empty() || !key.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_') {
            return Err(format!("line {}: {key:?} is not a variable name (A–Z, 0–9, _)", i + 1));
        }
        let value = value.trim();
        let unquoted = [('"', '"'), ('\'', '\'')]
            .iter()
            .find_map(|(a, b)| value.strip_prefix(*a).and_then(|v| v.strip_suffix(*b)))
            .unwrap_or(value);
        out.push((key.to_string(), unquoted.to_string()));
    }
    Ok(out)
}

/// Reads the file and sets each of its variables that the environment does not already have.
/// Runs before any thread starts.
pub fn load(path: &Path) -> anyhow::Result<usize> {
    let text = std::fs::read_to_string(path).map_err(|e| anyhow::anyhow!("the configuration file {}: {e}", path.display()))?;
    let settings = parse(&text).map_err(|e| anyhow::anyhow!("the configuration file {}: {e}", path.display()))?;
    let mut set = 0;
    for (key, value) in settings {
        if std::env::var_os(&key).is_none() {
            // SAFETY: called from `main` before the runtime and any other thread exist.
            unsafe { std::env::set_var(&key, value) };
            set += 1;
        }
    }
    Ok(set)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_env_files() {
        let text = "# Philia\nDATABASE_URL=postgres://philia@db/philia\n\nexport PHILIA_PUBLIC_URL=\"https://club.example\"\nPHILIA_RATE_LIMIT_KEY='500'\n";
        assert_eq!(
            parse(text).unwrap(),
            vec![
                ("DATABASE_URL".to_string(), "postgres://philia@db/philia".to_string()),
                ("PHILIA_PUBLIC_URL".into(), "https://club.example".into()),
                ("PHILIA_RATE_LIMIT_KEY".into(), "500".into()),
            ]
        );
        assert_eq!(parse("A=1\nnonsense\n").unwrap_err(), "line 2: expected KEY=value");
        assert!(parse("lower=1").unwrap_err().contains("not a variable name"));
    }

    #[test]
    fn finds_the_file_among_the_arguments() {
        let args = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(config_path(&args(&["philia", "--config", "/etc/philia.env", "serve"])).as_deref(), Some("/etc/philia.env"));
        assert_eq!(config_path(&args(&["philia", "serve", "--config=/x.env"])).as_deref(), Some("/x.env"));
    }
}

//! The command line: `serve` (default), `dev-token`, `migrate`,
//! `gc`, `check-config`, and the operator tools `rotate-key`,
//! `bench-pipeline` and `audit verify`.

mod audit;
mod audit_prune;
mod check_config;
mod gc;
mod incident;
mod migrate_storage;

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context as _;
use clap::{Parser, Subcommand};

use crate::auth::{Role, mint_dev_token};
use crate::config::Config;

#[derive(Debug, Parser)]
#[command(
    name = "image-service",
    version,
    about = "Self-hostable image store: authenticated upload, WebP variants, metadata, albums"
)]
pub struct Cli {
    /// TOML file with the same keys as the environment, lower case, without the IMAGE_SERVICE_ prefix.
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the API (the default).
    Serve,
    /// Print a development token (only meaningful with development authentication).
    DevToken {
        /// The user id (`sub`).
        #[arg(long)]
        sub: String,
        /// user, moderator or admin.
        #[arg(long, default_value = "user")]
        role: String,
        /// Lifetime, e.g. 30m, 1h, 1d; at most IMAGE_SERVICE_AUTH_MAX_TOKEN_LIFETIME_SECS.
        #[arg(long, default_value = "1h")]
        ttl: String,
    },
    /// Create or upgrade the metadata schema.
    Migrate,
    /// Remove blobs that no metadata points at (orphans of interrupted uploads or deletes).
    Gc {
        /// Only print what would be removed.
        #[arg(long)]
        dry_run: bool,
        /// Leave blobs younger than this (e.g. 30m, 1h, 2d), so uploads in flight are safe.
        #[arg(long, default_value = "1h")]
        min_age: String,
    },
    /// Check the configuration, fetch the identity provider's discovery
    /// document and signing keys, report what was found, and exit.
    CheckConfig,
    /// Incident controls: read-only mode, uploads, account blocks, token
    /// revocation, and their status (docs/incident-response.md).
    Incident {
        #[command(subcommand)]
        command: incident::IncidentCommand,
    },
    /// Audit trail tools.
    Audit {
        #[command(subcommand)]
        command: audit::AuditCommand,
    },
    /// Re-wrap every user's data key under the current master key
    /// (IMAGE_SERVICE_ENCRYPTION_KEY); previous keys stay usable until it is done.
    RotateKey,
    /// Run the upload pipeline (validation included, storage excluded) over every
    /// image in DIR and print one JSON line of throughput figures.
    BenchPipeline {
        dir: PathBuf,
        /// Images processed at once (default: one per core).
        #[arg(long, default_value_t = 0)]
        concurrency: usize,
        /// Instead, time each stage of each image alone (decode, prepare, display
        /// encode, thumbnail, whole job), one JSON line per image.
        #[arg(long)]
        stages: bool,
        /// With --stages: timed runs per stage (medians are printed).
        #[arg(long, default_value_t = 9)]
        runs: usize,
    },
    /// Copy every album, image, blob and audit event to other stores (e.g. from
    /// the embedded SQLite + files to PostgreSQL + S3); run it again to resume.
    MigrateStorage {
        /// Source: METADATA_URL,BLOB_URL[,KEY_URL].
        #[arg(long, value_name = "META,BLOBS[,KEYS]")]
        from: migrate_storage::Target,
        /// Destination: METADATA_URL,BLOB_URL[,KEY_URL].
        #[arg(long, value_name = "META,BLOBS[,KEYS]")]
        to: migrate_storage::Target,
        /// Images copied at once.
        #[arg(long, default_value_t = 8)]
        concurrency: usize,
    },
}

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    let config = Config::load(cli.config.as_deref())?;
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => {
            let app = crate::startup::Application::build(config).await?;
            app.run().await
        }
        Command::DevToken { sub, role, ttl } => {
            anyhow::ensure!(
                config.dev_auth(),
                "IMAGE_SERVICE_AUTH_ISSUER is set: dev tokens are only accepted with development authentication"
            );
            let role = parse_role(&role)?;
            let ttl = parse_duration(&ttl).context("--ttl")?;
            // The service would refuse a longer-lived token anyway.
            let max = config.auth.settings.max_token_lifetime;
            anyhow::ensure!(
                ttl <= max,
                "--ttl: {} s is longer than IMAGE_SERVICE_AUTH_MAX_TOKEN_LIFETIME_SECS ({} s)",
                ttl.as_secs(),
                max.as_secs()
            );
            let token = mint_dev_token(&config.data_dir, &sub, role, ttl)?;
            println!("{token}");
            Ok(())
        }
        Command::Migrate => {
            metadata::migrate(&config.metadata_url)
                .await
                .context("IMAGE_SERVICE_METADATA_URL: migration failed")?;
            println!("metadata schema is up to date");
            Ok(())
        }
        Command::Gc { dry_run, min_age } => {
            let min_age = parse_duration(&min_age).context("--min-age")?;
            let report = gc::run(&config, dry_run, min_age).await?;
            let verb = if dry_run { "would remove" } else { "removed" };
            println!(
                "{} orphan blobs; {verb} {}",
                report.orphans,
                if dry_run {
                    report.orphans
                } else {
                    report.removed
                }
            );
            if report.temp_files > 0 {
                println!(
                    "{} abandoned temp files; {verb} {}",
                    report.temp_files, report.temp_files
                );
            }
            Ok(())
        }
        Command::CheckConfig => check_config::run(&config).await,
        Command::Audit { command } => audit::run(&config, command).await,
        Command::Incident { command } => incident::run(&config, command).await,
        Command::RotateKey => {
            let store = blobs::open_encrypted(
                &config.blob_url,
                &config.key_url,
                crate::storage::encryption_config(&config)?,
            )
            .await
            .context("IMAGE_SERVICE_BLOB_URL: cannot open the blob store")?;
            let report = store.rotate().await?;
            println!(
                "{} users: {} re-wrapped, {} already current, {} unreadable",
                report.users, report.rewrapped, report.already_current, report.unreadable
            );
            anyhow::ensure!(
                report.unreadable == 0,
                "{} data keys open with no configured key: keep IMAGE_SERVICE_ENCRYPTION_PREVIOUS_KEYS",
                report.unreadable
            );
            Ok(())
        }
        Command::BenchPipeline {
            dir,
            concurrency,
            stages,
            runs,
        } => {
            let settings = crate::startup::pipeline_settings(&config);
            if stages {
                let files = tokio::task::spawn_blocking(move || {
                    pipeline::bench::stages(&dir, runs, &settings)
                })
                .await?;
                for (file, times) in files {
                    let times = times.with_context(|| format!("{file}: not timed"))?;
                    println!("{}", serde_json::to_string(&times)?);
                }
                return Ok(());
            }
            let report = tokio::task::spawn_blocking(move || {
                pipeline::bench::run(&dir, concurrency, &settings)
            })
            .await?;
            println!("{}", serde_json::to_string(&report)?);
            Ok(())
        }
        Command::MigrateStorage {
            from,
            to,
            concurrency,
        } => migrate_storage::command(&config, &from, &to, concurrency).await,
    }
}

fn parse_role(role: &str) -> anyhow::Result<Role> {
    match role {
        "user" => Ok(Role::User),
        "moderator" => Ok(Role::Moderator),
        "admin" => Ok(Role::Admin),
        other => anyhow::bail!("--role: `{other}` is not user, moderator or admin"),
    }
}

/// `90`, `90s`, `30m`, `1h`, `7d`.
pub fn parse_duration(text: &str) -> anyhow::Result<Duration> {
    let text = text.trim();
    let (number, unit) = text.split_at(
        text.find(|c: char| !c.is_ascii_digit())
            .unwrap_or(text.len()),
    );
    let n: u64 = number
        .parse()
        .context("expected a number with an optional unit s, m, h or d")?;
    let secs = match unit {
        "" | "s" => n,
        "m" => n.saturating_mul(60),
        "h" => n.saturating_mul(3600),
        "d" => n.saturating_mul(86_400),
        other => anyhow::bail!("unknown unit `{other}`; use s, m, h or d"),
    };
    anyhow::ensure!(secs > 0, "must be longer than 0");
    Ok(Duration::from_secs(secs))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("1h").unwrap(), Duration::from_secs(3600));
        assert_eq!(parse_duration("90").unwrap(), Duration::from_secs(90));
        assert!(parse_duration("1y").is_err());
        assert!(parse_duration("0").is_err());
    }
}

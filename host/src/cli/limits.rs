//! The limits flags of `arbiter serve`: every per-call limit and upload limit can be
//! set; each one left out keeps its safe default.

use std::time::Duration;

use arbiter::engine::Limits;
use arbiter::registry::UploadLimits;

#[derive(Debug, Clone, Default, clap::Args)]
#[command(next_help_heading = "Limits on policy calls and uploads")]
pub struct LimitsArgs {
    /// Wall-clock time one policy call may take [default: 10].
    #[arg(long, value_name = "MS", value_parser = clap::value_parser!(u64).range(1..=60_000))]
    deadline_ms: Option<u64>,
    /// How often the deadline is checked; a call overruns by at most one tick [default: 1].
    #[arg(long, value_name = "MS", value_parser = clap::value_parser!(u64).range(1..=1_000))]
    epoch_tick_ms: Option<u64>,
    /// Linear memory one call may grow to [default: 64].
    #[arg(long, value_name = "MIB", value_parser = clap::value_parser!(u64).range(1..=4_096))]
    memory_mib: Option<u64>,
    /// Wasm stack one call may use [default: 512].
    #[arg(long, value_name = "KIB", value_parser = clap::value_parser!(u64).range(16..=65_536))]
    stack_kib: Option<u64>,
    /// Calls that may run at once (instances the pooling allocator keeps) [default: 256].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pooled_instances: Option<u32>,
    /// Actions one decision may hold [default: 32].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..=10_000))]
    max_actions: Option<u64>,
    /// Reasons one decision may give [default: 32].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..=10_000))]
    max_reasons: Option<u64>,
    /// Bytes of any one text a policy returns [default: 2000].
    #[arg(long, value_name = "BYTES", value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    max_text_bytes: Option<u64>,
    /// Bytes of a guest's stdout and stderr kept with its decision [default: 1024].
    #[arg(long, value_name = "BYTES", value_parser = clap::value_parser!(u64).range(0..=1_000_000))]
    guest_output_bytes: Option<u64>,
    /// Timeouts or memory exhaustions in a row that suspend a shop's module; 0 never
    /// suspends [default: 3].
    #[arg(long, value_name = "N")]
    suspend_after: Option<u32>,
    /// How long a suspended module is not called [default: 30].
    #[arg(long, value_name = "SECONDS", value_parser = clap::value_parser!(u64).range(1..=86_400))]
    suspend_for_s: Option<u64>,
    /// The largest module accepted for upload [default: 32].
    #[arg(long, value_name = "MIB", value_parser = clap::value_parser!(u64).range(1..=256))]
    max_module_mib: Option<u64>,
    /// How long compiling an upload may take [default: 120].
    #[arg(long, value_name = "SECONDS", value_parser = clap::value_parser!(u64).range(1..=600))]
    compile_timeout_s: Option<u64>,
    /// Compiled modules kept loaded, in MiB of their images; past it the least recently
    /// used are dropped and loaded again from the compiled cache when next needed
    /// [default: 2048].
    #[arg(long, value_name = "MIB", value_parser = clap::value_parser!(u64).range(1..=1_048_576))]
    loaded_modules_mib: Option<u64>,
}

impl LimitsArgs {
    /// The per-call limits: the defaults, with what the flags set.
    pub fn limits(&self) -> Limits {
        let mut limits = Limits::default();
        if let Some(ms) = self.deadline_ms {
            limits.deadline = Duration::from_millis(ms);
        }
        if let Some(ms) = self.epoch_tick_ms {
            limits.epoch_tick = Duration::from_millis(ms);
        }
        if let Some(mib) = self.memory_mib {
            limits.memory_bytes = bytes(mib, 20);
        }
        if let Some(kib) = self.stack_kib {
            limits.max_wasm_stack_bytes = bytes(kib, 10);
        }
        if let Some(instances) = self.pooled_instances {
            limits.pooled_instances = instances;
        }
        let output = &mut limits.output;
        for (flag, cap) in [
            (self.max_actions, &mut output.max_actions),
            (self.max_reasons, &mut output.max_reasons),
            (self.max_text_bytes, &mut output.max_text_bytes),
            (self.guest_output_bytes, &mut output.guest_output_bytes),
        ] {
            if let Some(value) = flag {
                *cap = bytes(value, 0);
            }
        }
        if let Some(failures) = self.suspend_after {
            limits.suspension.after_failures = failures;
        }
        if let Some(seconds) = self.suspend_for_s {
            limits.suspension.cooldown = Duration::from_secs(seconds);
        }
        limits
    }

    /// Refuses a module of `size` bytes when a server under these limits would.
    pub fn check_module_size(&self, size: usize) -> anyhow::Result<()> {
        let max = self.upload_limits().max_bytes;
        anyhow::ensure!(
            size <= max,
            "{size} bytes is more than the {max} a server accepts by these limits \
             (--max-module-mib)"
        );
        Ok(())
    }

    /// The upload limits: the defaults, with what the flags set.
    pub fn upload_limits(&self) -> UploadLimits {
        let mut upload = UploadLimits::default();
        if let Some(mib) = self.max_module_mib {
            upload.max_bytes = bytes(mib, 20);
        }
        if let Some(seconds) = self.compile_timeout_s {
            upload.compile_timeout = Duration::from_secs(seconds);
        }
        if let Some(mib) = self.loaded_modules_mib {
            upload.loaded_bytes = bytes(mib, 20);
        }
        upload
    }
}

/// `value << shift` as a `usize`; the flags' ranges keep it far from overflowing.
fn bytes(value: u64, shift: u32) -> usize {
    usize::try_from(value << shift).unwrap_or(usize::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Debug, Parser)]
    struct Probe {
        #[command(flatten)]
        limits: LimitsArgs,
    }

    #[test]
    fn flags_override_only_what_they_name() {
        let probe = Probe::try_parse_from([
            "probe",
            "--deadline-ms",
            "5",
            "--memory-mib",
            "16",
            "--max-actions",
            "8",
            "--guest-output-bytes",
            "256",
            "--max-module-mib",
            "2",
        ])
        .unwrap();
        let limits = probe.limits.limits();
        assert_eq!(limits.deadline, Duration::from_millis(5));
        assert_eq!(limits.memory_bytes, 16 << 20);
        assert_eq!(limits.output.max_actions, 8);
        assert_eq!(limits.output.guest_output_bytes, 256);
        let defaults = Limits::default();
        assert_eq!(limits.max_wasm_stack_bytes, defaults.max_wasm_stack_bytes);
        assert_eq!(limits.output.max_reasons, defaults.output.max_reasons);
        assert_eq!(limits.suspension, defaults.suspension);
        assert_eq!(probe.limits.upload_limits().max_bytes, 2 << 20);
    }

    #[test]
    fn out_of_range_values_are_refused_naming_the_flag() {
        let error = Probe::try_parse_from(["probe", "--deadline-ms", "0"]).unwrap_err();
        assert!(error.to_string().contains("--deadline-ms"), "{error}");
        let error = Probe::try_parse_from(["probe", "--memory-mib", "lots"]).unwrap_err();
        assert!(error.to_string().contains("--memory-mib"), "{error}");
    }

    #[test]
    fn the_documented_defaults_are_the_real_ones() {
        let limits = Limits::default();
        assert_eq!(limits.deadline, Duration::from_millis(10));
        assert_eq!(limits.epoch_tick, Duration::from_millis(1));
        assert_eq!(limits.memory_bytes, 64 << 20);
        assert_eq!(limits.max_wasm_stack_bytes, 512 << 10);
        assert_eq!(limits.pooled_instances, 256);
        assert_eq!(limits.output.max_actions, 32);
        assert_eq!(limits.output.max_reasons, 32);
        assert_eq!(limits.output.max_text_bytes, 2_000);
        assert_eq!(limits.output.guest_output_bytes, 1_024);
        assert_eq!(limits.suspension.after_failures, 3);
        assert_eq!(limits.suspension.cooldown, Duration::from_secs(30));
        let upload = UploadLimits::default();
        assert_eq!(upload.max_bytes, 32 << 20);
        assert_eq!(upload.compile_timeout, Duration::from_secs(120));
        assert_eq!(upload.loaded_bytes, 2 << 30);
    }
}

//! The compiled-cache flags of the commands that load modules on this machine
//! (`decide`, `module build`): where compiled modules are kept between runs.

use std::path::PathBuf;

use arbiter::engine::Engine;
use arbiter::registry::CompiledCache;

#[derive(Debug, Clone, Default, clap::Args)]
pub struct CacheArgs {
    /// Where compiled modules are kept between runs [default: $XDG_CACHE_HOME/arbiter,
    /// else ~/.cache/arbiter]. A server's data dir works too: its cache is the same kind.
    #[arg(long, value_name = "DIR", env = "ARBITER_CACHE_DIR")]
    cache: Option<PathBuf>,
    /// Compile every module afresh and keep nothing (whatever `--cache` says).
    #[arg(long)]
    no_cache: bool,
}

impl CacheArgs {
    /// The compiled cache these flags ask for, if any can be opened (a cache that
    /// cannot is said once and done without).
    pub fn open(&self, engine: &Engine) -> Option<CompiledCache> {
        if self.no_cache {
            return None;
        }
        let dir = self.cache.clone().or_else(|| {
            std::env::var_os("XDG_CACHE_HOME")
                .filter(|dir| !dir.is_empty())
                .map(PathBuf::from)
                .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cache")))
                .map(|dir| dir.join("arbiter"))
        })?;
        match CompiledCache::open(&dir, &engine.compatibility_key()) {
            Ok(cache) => Some(cache),
            Err(error) => {
                eprintln!(
                    "note: no compiled cache at {} ({error}); compiling every module",
                    dir.display()
                );
                None
            }
        }
    }
}

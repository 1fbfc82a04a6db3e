//! The compiled-module cache on local disk: native artifacts by module digest, kept
//! apart per engine compatibility, each with a MAC under a secret of this data dir so
//! that the host only ever deserializes an artifact it wrote itself.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::engine::{ModuleDigest, TrustedArtifact};

type HmacSha256 = Hmac<Sha256>;

/// Artifacts under `<data>/compiled/<engine compatibility>/`.
#[derive(Clone)]
pub struct CompiledCache {
    dir: PathBuf,
    key: Vec<u8>,
}

impl std::fmt::Debug for CompiledCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CompiledCache")
            .field("dir", &self.dir)
            .finish_non_exhaustive()
    }
}

impl CompiledCache {
    /// Opens the cache for an engine with `compatibility`, creating the folder and the
    /// secret key (owner-readable only) on first use.
    pub fn open(data_dir: &Path, compatibility: &str) -> std::io::Result<Self> {
        let root = data_dir.join("compiled");
        let dir = root.join(compatibility);
        std::fs::create_dir_all(&dir)?;
        let key_path = root.join("cache-key");
        let key = match std::fs::read(&key_path) {
            Ok(key) if key.len() == 32 => key,
            _ => {
                let mut key = vec![0_u8; 32];
                getrandom::fill(&mut key).map_err(std::io::Error::other)?;
                write_private(&key_path, &key)?;
                key
            }
        };
        Ok(Self { dir, key })
    }

    /// The artifact of `digest`, if this host wrote it and it is unchanged.
    pub fn load(&self, digest: &ModuleDigest) -> Option<TrustedArtifact> {
        let (artifact_path, mac_path) = self.paths(digest);
        let bytes = std::fs::read(artifact_path).ok()?;
        let tag = std::fs::read(mac_path).ok()?;
        self.mac(digest, &bytes)?.verify_slice(&tag).ok()?;
        Some(TrustedArtifact::written_by_us(bytes))
    }

    /// Keeps `artifact` for `digest` (written atomically: a crash leaves no half file).
    pub fn store(&self, digest: &ModuleDigest, artifact: &TrustedArtifact) -> std::io::Result<()> {
        let (artifact_path, mac_path) = self.paths(digest);
        let mac = self
            .mac(digest, artifact.bytes())
            .ok_or_else(|| std::io::Error::other("the cache key is unusable"))?;
        write_atomically(&artifact_path, artifact.bytes())?;
        write_atomically(&mac_path, &mac.finalize().into_bytes())
    }

    fn paths(&self, digest: &ModuleDigest) -> (PathBuf, PathBuf) {
        let name = digest.as_str().trim_start_matches("sha256:");
        (
            self.dir.join(format!("{name}.cwasm")),
            self.dir.join(format!("{name}.mac")),
        )
    }

    /// A MAC over the digest and the artifact, so an artifact cannot stand in for
    /// another module.
    fn mac(&self, digest: &ModuleDigest, bytes: &[u8]) -> Option<HmacSha256> {
        let mut mac = HmacSha256::new_from_slice(&self.key).ok()?;
        mac.update(digest.as_str().as_bytes());
        mac.update(&[0]);
        mac.update(bytes);
        Some(mac)
    }
}

fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let temporary = path.with_extension("tmp");
    let mut file = std::fs::File::create(&temporary)?;
    file.write_all(bytes)?;
    file.sync_all()?;
    std::fs::rename(&temporary, path)
}

fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_what_this_host_wrote_comes_back() {
        let dir = tempfile::tempdir().unwrap();
        let cache = CompiledCache::open(dir.path(), "engine-a").unwrap();
        let digest = ModuleDigest::of(b"module");
        let artifact = TrustedArtifact::written_by_us(b"native code".to_vec());
        assert!(cache.load(&digest).is_none());
        cache.store(&digest, &artifact).unwrap();
        assert_eq!(cache.load(&digest).unwrap().bytes(), b"native code");

        // Tampered bytes, a planted artifact, another engine: nothing is trusted.
        let (artifact_path, _) = cache.paths(&digest);
        std::fs::write(&artifact_path, b"evil code").unwrap();
        assert!(cache.load(&digest).is_none());
        let other = ModuleDigest::of(b"other");
        let (planted, planted_mac) = cache.paths(&other);
        std::fs::write(planted, b"evil").unwrap();
        std::fs::write(planted_mac, [0_u8; 32]).unwrap();
        assert!(cache.load(&other).is_none());
        let reopened = CompiledCache::open(dir.path(), "engine-b").unwrap();
        assert!(reopened.load(&digest).is_none());
    }
}

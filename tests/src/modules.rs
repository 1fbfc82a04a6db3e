//! Module bytes for upload tests: distinct components made from one by a custom section,
//! and the digest the registry gives a module.

use sha2::{Digest as _, Sha256};

/// `component` with a custom section `name` holding `payload` appended: a different
/// module (another digest) that behaves exactly the same. A custom section (id 0, its
/// size, then the name and the payload) is valid anywhere in a component, at the end too.
pub fn with_custom_section(component: &[u8], name: &str, payload: &[u8]) -> Vec<u8> {
    let mut contents = leb128(name.len());
    contents.extend_from_slice(name.as_bytes());
    contents.extend_from_slice(payload);
    let mut bytes = component.to_vec();
    bytes.push(0x00);
    bytes.extend(leb128(contents.len()));
    bytes.extend(contents);
    bytes
}

/// The digest of `bytes` as the registry spells it: `sha256:` and lowercase hex.
pub fn digest_of(bytes: &[u8]) -> String {
    let hex: String = Sha256::digest(bytes)
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect();
    format!("sha256:{hex}")
}

/// Unsigned LEB128, as Wasm encodes sizes.
fn leb128(mut value: usize) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let byte = (value & 0x7f) as u8;
        value >>= 7;
        if value == 0 {
            out.push(byte);
            return out;
        }
        out.push(byte | 0x80);
    }
}

/// The example seller policy (`policies/examples/florist`) as built by the workspace.
/// A test helper: panics when the build left no component behind.
#[allow(clippy::panic)]
pub fn florist() -> Vec<u8> {
    std::fs::read(arbiter_artifacts::FLORIST_EXAMPLE_PATH)
        .unwrap_or_else(|error| panic!("the florist component: {error}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_are_leb128() {
        assert_eq!(leb128(0), [0]);
        assert_eq!(leb128(127), [0x7f]);
        assert_eq!(leb128(128), [0x80, 0x01]);
        assert_eq!(leb128(624_485), [0xe5, 0x8e, 0x26]);
    }

    #[test]
    fn the_section_is_appended_whole() {
        let bytes = with_custom_section(b"\0asm\x0d\0\x01\0", "tag", b"42");
        assert_eq!(&bytes[8..], b"\x00\x06\x03tag42");
    }
}
